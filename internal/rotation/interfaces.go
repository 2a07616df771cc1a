package rotation

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// TokenSource gets an Entra ID token (azcore.TokenCredential; in production
// azidentity's ManagedIdentityCredential). The service asks for exactly one
// scope, "<audience>/.default". It must be safe for concurrent use.
type TokenSource interface {
	GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error)
}

// Exchanger trades an Entra ID token for a JFrog access token at the OIDC
// integration providerName. Errors from a JFrog reply should match the
// upstream sentinels (ErrUnauthorized, ErrForbidden, ErrUnavailable, …) and must
// never contain a token. Safe for concurrent use.
type Exchanger interface {
	Exchange(ctx context.Context, subjectToken secret.Token, providerName string, opts *jfrog.ExchangeOptions) (jfrog.ExchangeResponse, error)
}

// Verifier proves that a JFrog token works (GET tokens/me). Safe for
// concurrent use.
type Verifier interface {
	Me(ctx context.Context, token secret.Token) (jfrog.TokenInfo, error)
}

// Revoker revokes the JFrog token tokenID, authenticating with token (the
// same user's token or an admin token). It reports whether JFrog revoked
// the token (200); JFrog's 204 for a token it has no revocable record of
// (already revoked, never stored, below the revocable-expiry threshold) is
// false with no error. Safe for concurrent use.
type Revoker interface {
	Revoke(ctx context.Context, token secret.Token, tokenID string) (bool, error)
}

// SecretStore holds the credentials secret (*keyvault.Store). Current
// returns the latest version (value and attributes; a malformed value
// matches keyvault.ErrMalformedSecret, a missing secret
// keyvault.ErrSecretNotFound); Properties returns attributes only; Put
// stores a new version and returns its attributes. Errors match the
// upstream and keyvault sentinels. Safe for concurrent use.
type SecretStore interface {
	Current(ctx context.Context) (keyvault.Credentials, error)
	Properties(ctx context.Context) (keyvault.Properties, error)
	Put(ctx context.Context, v keyvault.NewVersion) (keyvault.Properties, error)
}

// Locker is the cross-instance lock (*lease.Locker). Lock waits up to wait
// for the lock and returns a context derived from ctx that is cancelled
// when the lock is lost while held (its cause matches lease.ErrLost), and
// the function that releases it; when another holder keeps the lock for
// the whole wait the error matches lease.ErrBusy. Safe for concurrent use.
type Locker interface {
	Lock(ctx context.Context, wait time.Duration) (held context.Context, release func(context.Context) error, err error)
}

// ForceLog keeps the time of the last forced rotation where every instance
// sees it (*lease.Locker, in the lock blob's metadata). Marked returns the
// time last recorded under name, zero when none; Mark records t under name
// and is called only while the Locker's lock is held. Safe for concurrent
// use.
type ForceLog interface {
	Mark(ctx context.Context, name string, t time.Time) error
	Marked(ctx context.Context, name string) (time.Time, error)
}
