// Package entra is the local stack's Entra ID: it keeps a tenant with
// managed identities and app registrations, serves the App Service
// (IDENTITY_ENDPOINT, api-version 2019-08-01) and AzureML compute
// (MSI_ENDPOINT, api-version 2017-09-01) managed-identity endpoints exactly
// as azidentity v1.15 (MSAL-Go v1.10) calls them, issues RS256 access tokens
// shaped like Entra's v1 and v2 tokens, and publishes OpenID discovery
// documents and a JWKS so a relying party can verify them.
//
// # Managed-identity endpoints
//
// App Service: GET /msi/token?api-version=2019-08-01&resource=R with header
// X-IDENTITY-HEADER; the identity is the host's system-assigned one, or the
// user-assigned one named by client_id, object_id/principal_id or mi_res_id.
// AzureML compute: GET /MSI/auth?api-version=2017-09-01&resource=R&clientid=C
// with header secret; an empty clientid selects the system-assigned
// identity. Both answer {"access_token","expires_on" (Unix seconds as a
// string),"resource","token_type":"Bearer","client_id"}. A wrong or missing
// secret header is 401; a wrong api-version, a missing resource or an
// identity the host does not have is 400 {"error","error_description"}; an
// unknown resource is 400 invalid_resource with AADSTS500011. The header
// secrets change on every start, as the platform rotates them.
//
// # Token shapes
//
// The token version follows the resource's app registration, as Entra's
// accessTokenAcceptedVersion does; the endpoint used does not matter:
//
//   - Azure resources (https://vault.azure.net, https://storage.azure.com,
//     https://management.azure.com, https://management.core.windows.net/)
//     and app registrations with access_token_version 1 get v1 tokens:
//     iss https://sts.windows.net/<tenant>/, ver "1.0", appid/appidacr,
//     idp, and aud = the resource exactly as requested (api://<id> or <id>).
//   - App registrations with access_token_version 2 (the JFrog OIDC app)
//     get v2 tokens: iss BaseURL/<tenant>/v2.0, ver "2.0", azp/azpacr, and
//     aud = the app's client id whether the identity asked for api://<id>
//     or <id> ("v2 aud is always the client ID of the API").
//
// Both carry iat and nbf (five minutes in the past, as Entra backdates
// them), exp, tid, oid and sub (both the identity's object id, as in
// app-only tokens), idtyp "app", and opaque aio, rh and uti. The header
// has kid and x5t, the SHA-1 thumbprint of the signing certificate
// published in the JWKS (x5c).
//
// # Client applications
//
// Registered client applications (CI's stand-in) get app-only tokens at
// POST BaseURL/<tenant>/oauth2/v2.0/token with the client-credentials grant,
// authenticating with a client secret (client_secret_post or
// client_secret_basic) or a federated client_assertion from the local
// stand-in for GitHub Actions' OIDC issuer (BaseURL/github-actions), as
// azidentity's ClientSecretCredential and ClientAssertionCredential send
// them (MSAL adds the scopes openid, offline_access and profile, which are
// ignored). scope is <resource>/.default; the token follows the resource's
// app registration like managed-identity tokens, with azpacr/appidacr 1
// (secret) or 2 (assertion) and roles = the client's app role assignments
// on the resource. Refusals carry Entra's error, error_description
// (AADSTS code first), error_codes, timestamp, trace_id and correlation_id.
// The tenant holds the API registration APIApp exposing APIRoles.
//
// # Discovery
//
// BaseURL/<tenant>/v2.0/.well-known/openid-configuration names the v2 issuer
// and BaseURL/<tenant>/discovery/v2.0/keys; BaseURL/<tenant>/.well-known/
// openid-configuration names the v1 issuer (https://sts.windows.net/...)
// and BaseURL/<tenant>/discovery/keys. Both key sets hold the same key.
package entra
