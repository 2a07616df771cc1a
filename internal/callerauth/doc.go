// Package callerauth authenticates the callers of the HTTP functions with
// Entra ID access tokens and authorizes them by app role.
//
// A Validator checks a bearer token the way Microsoft documents for a
// protected web API (access-token claims reference and "Validate tokens" in
// MicrosoftDocs/entra-docs docs/identity-platform/access-tokens.md and
// access-token-claims-reference.md; ../shared/reference/azure.md §5):
//
//   - the signature, RS256 only, with a key of the tenant's signing key set:
//     GET <authority>/<tenant>/v2.0/.well-known/openid-configuration names
//     jwks_uri, whose keys are matched by the token header's kid. The set is
//     cached, refetched when it is older than MaxKeyAge (an hour) and when
//     a token names an unknown kid — at most once per MinRefreshInterval
//     (five minutes), so garbage kids cannot turn the handler into a
//     request amplifier — keeping the last good keys when a refetch fails,
//     as Microsoft's keys metadata caching algorithm asks (MicrosoftDocs/
//     entra-docs docs/identity-platform/signing-key-rollover.md: refresh
//     hourly, on an unknown kid "no more frequently than 5mins");
//   - iss: https://login.microsoftonline.com/<tid>/v2.0 (the authority host
//     is configurable for other clouds and the local stack) and, when
//     AcceptV1 is set, https://sts.windows.net/<tid>/; tid must equal the
//     tenant;
//   - aud: the app registration's client id or api://<client id> (a v2
//     token's aud "is always the client ID of the API"; a v1 token's is the
//     client id or the resource URI used in the request);
//   - exp (required) and nbf, with Leeway of clock skew;
//   - the app roles in the roles claim (RoleJobsSubmit, RoleJobsRead,
//     RoleRotationRun, RoleDiagnosticsRead), checked by Caller.HasRole.
//
// Every outbound call (discovery, keys) goes through an azcore pipeline.
// The Challenge function writes the RFC 6750 §3 WWW-Authenticate header of
// a 401 or 403. Nothing here logs or returns a token.
package callerauth
