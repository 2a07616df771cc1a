// Package jfrog is the client for the JFrog Platform: the Access API (OIDC
// token exchange, tokens/me, revocation) today, and the Artifactory
// repositories the suite uses alongside it.
//
// Every request goes through one azcore pipeline built by [NewClient], which
// gives retries with exponential backoff and jitter on 408/429/5xx and
// dropped connections, honours Retry-After, applies per-try timeouts and
// redacts the Authorization header from SDK logs. Every non-2xx reply
// becomes one *upstream.ResponseError built by a single function; callers
// test it with errors.Is against upstream.ErrBadRequest, ErrUnauthorized,
// ErrForbidden, ErrNotFound and ErrUnavailable, or errors.As for the
// details. Fix hints name the caller's settings ([SettingNames]). Neither
// errors nor logs ever contain a token or an unfiltered upstream body.
//
// Further services (such as the Machine Learning repository) are added as
// more files in this package that build requests with Client.newRequest and
// send them with Client.send, sharing the pipeline and error type.
package jfrog
