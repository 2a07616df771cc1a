// Package keyvault keeps the JFrog credentials in Azure Key Vault: it reads
// the current version of the secret (value and attributes), reads attributes
// only for health reports, and stores new versions. It is built on azsecrets,
// so every call goes through the azcore pipeline (challenge authentication,
// retries with backoff on 429/5xx honouring Retry-After, per-try timeouts).
//
// The secret holds JSON {"access_token":"…","username":"…"}, content type
// application/json, with the token's expiry as the version's exp attribute
// and tags naming who rotated it and the token id, never the token.
//
// Every failed call is a *upstream.ResponseError (or wraps a transport
// failure) matching one of the sentinels upstream.ErrUnauthorized,
// ErrForbidden, ErrNotFound or ErrUnavailable; a missing secret also matches
// [ErrSecretNotFound], a vault host that does not resolve
// [ErrVaultNotFound], a bad secret value [ErrMalformedSecret] and an
// expired token [ErrExpired]. Messages name the vault, the secret and the
// fix (with the caller's [SettingNames]), never the value.
package keyvault
