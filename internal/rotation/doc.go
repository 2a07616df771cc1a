// Package rotation keeps a working JFrog access token in Key Vault.
//
// [Service.Rotate] runs: cross-instance lock → read the current secret
// (skip when fresh) → managed identity token for the configured audience →
// claims check → OIDC exchange at JFrog → prove the new token with
// tokens/me → store it as a new Key Vault version → optionally revoke the
// token it replaced. A failure at any step leaves the previous version as
// the latest; a token minted by a run whose store definitely failed is
// revoked. Concurrent calls in one process share one run and its result;
// the lock (a blob lease) serialises instances.
//
// The service depends on small interfaces it declares ([TokenSource],
// [Exchanger], [Verifier], [Revoker], [SecretStore], [Locker]); the
// production implementations are azidentity, *jfrog.Client, *keyvault.Store
// and *lease.Locker. Failures are *[Error] values whose errkind.Kind the
// HTTP edge maps to a status; their text never holds a token (responses
// still pass it through internal/redact).
//
// [Schedule] turns SECRET_TTL into the NCRONTAB expression of the timer and
// [MaxGap] measures the longest pause a schedule allows.
package rotation
