package rotation

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/lease"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

const audience = "api://11111111-aaaa-bbbb-cccc-222222222222"

func signJWT(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeTokens is the managed identity.
type fakeTokens struct {
	t      testing.TB
	calls  atomic.Int32
	err    error
	token  string // overrides the minted token
	scopes []string
	mu     sync.Mutex
}

func (f *fakeTokens) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.scopes = o.Scopes
	f.mu.Unlock()
	if f.err != nil {
		return azcore.AccessToken{}, f.err
	}
	tok := f.token
	if tok == "" {
		tok = signJWT(f.t, jwt.MapClaims{"aud": "11111111-aaaa-bbbb-cccc-222222222222", "iss": "https://login.microsoftonline.com/t/v2.0",
			"exp": time.Now().Add(time.Hour).Unix(), "nbf": time.Now().Add(-time.Minute).Unix(), "oid": "mi-oid", "ver": "2.0"})
	}
	return azcore.AccessToken{Token: tok, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// fakeJFrog is the Access API.
type fakeJFrog struct {
	t            testing.TB
	exchanges    atomic.Int32
	exchangeWait time.Duration
	exchangeErr  error
	meErr        error
	refuse       map[string]error // tokens/me error by token id
	revokeErr    error
	answer204    bool // Revoke answers like JFrog's 204: nothing revoked
	noUser       bool
	onMe         func() // called at the start of Me
	expiresIn    time.Duration
	subjects     []secret.Token
	opts         []jfrog.ExchangeOptions // the options of each exchange

	mu          sync.Mutex
	minted      []secret.Token
	revoked     []string // token ids
	revokedWith []secret.Token
}

func (f *fakeJFrog) Exchange(ctx context.Context, subject secret.Token, provider string, opts *jfrog.ExchangeOptions) (jfrog.ExchangeResponse, error) {
	n := f.exchanges.Add(1)
	f.mu.Lock()
	if opts != nil {
		f.opts = append(f.opts, *opts)
	}
	f.mu.Unlock()
	if f.exchangeWait > 0 {
		select {
		case <-time.After(f.exchangeWait):
		case <-ctx.Done():
			return jfrog.ExchangeResponse{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subjects = append(f.subjects, subject)
	if f.exchangeErr != nil {
		return jfrog.ExchangeResponse{}, f.exchangeErr
	}
	id := fmt.Sprintf("new-id-%d", n)
	tok := secret.Token(signJWT(f.t, jwt.MapClaims{"sub": "jfac@x/users/ci-user", "jti": id}))
	f.minted = append(f.minted, tok)
	user := "ci-user"
	if f.noUser {
		user = ""
	}
	exp := f.expiresIn
	if exp == 0 {
		exp = 4 * time.Hour
	}
	return jfrog.ExchangeResponse{AccessToken: tok, ExpiresIn: exp, Username: user, TokenID: id, Scope: "applied-permissions/user"}, nil
}

func (f *fakeJFrog) Me(_ context.Context, tok secret.Token) (jfrog.TokenInfo, error) {
	if err := f.refuse[jfrog.TokenID(tok)]; err != nil {
		return jfrog.TokenInfo{}, err
	}
	if f.onMe != nil {
		f.onMe()
	}
	if f.meErr != nil {
		return jfrog.TokenInfo{}, f.meErr
	}
	if f.noUser {
		return jfrog.TokenInfo{TokenID: jfrog.TokenID(tok), Subject: "jfac@x/groups/readers"}, nil
	}
	return jfrog.TokenInfo{TokenID: jfrog.TokenID(tok), Subject: "jfac@x/users/ci-user", Username: "ci-user"}, nil
}

func (f *fakeJFrog) Revoke(_ context.Context, tok secret.Token, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked = append(f.revoked, id)
	f.revokedWith = append(f.revokedWith, tok)
	return f.revokeErr == nil && !f.answer204, f.revokeErr
}

func (f *fakeJFrog) revokedIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.revoked...)
}

// fakeStore is the Key Vault secret.
type fakeStore struct {
	mu          sync.Mutex
	versions    []keyvault.Credentials
	malformed   bool
	currentErr  error
	putErr      error
	putLands    bool // with putErr: the write happens, then the error is returned
	landsLate   bool // with putErr: the write lands right after the next read
	pending     *keyvault.Credentials
	readBackErr error
	puts        int
	reads       int
}

func (f *fakeStore) add(c keyvault.Credentials) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.Version == "" {
		c.Version = fmt.Sprintf("v%d", len(f.versions)+1)
	}
	if c.Created == nil {
		now := time.Now().Add(-time.Hour).Truncate(time.Second)
		c.Created = &now
	}
	c.Name = "artifactory-access-token-secret"
	f.versions = append(f.versions, c)
}

func (f *fakeStore) latest() (keyvault.Credentials, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.versions) == 0 {
		return keyvault.Credentials{}, false
	}
	return f.versions[len(f.versions)-1], true
}

func (f *fakeStore) Current(context.Context) (keyvault.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.pending; p != nil {
		defer func() { f.pending = nil; f.versions = append(f.versions, *p) }()
	}
	f.reads++
	if f.reads > 1 && f.readBackErr != nil {
		return keyvault.Credentials{}, f.readBackErr
	}
	if f.currentErr != nil {
		return keyvault.Credentials{}, f.currentErr
	}
	if len(f.versions) == 0 {
		return keyvault.Credentials{}, &upstream.ResponseError{Service: keyvault.Service, StatusCode: 404, Code: "SecretNotFound", Sentinel: keyvault.ErrSecretNotFound}
	}
	c := f.versions[len(f.versions)-1]
	if f.malformed {
		return keyvault.Credentials{Properties: c.Properties}, fmt.Errorf("bad: %w", keyvault.ErrMalformedSecret)
	}
	return c, nil
}

func (f *fakeStore) Properties(ctx context.Context) (keyvault.Properties, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.currentErr != nil {
		return keyvault.Properties{}, f.currentErr
	}
	if len(f.versions) == 0 {
		return keyvault.Properties{}, &upstream.ResponseError{Service: keyvault.Service, StatusCode: 404, Code: "SecretNotFound", Sentinel: keyvault.ErrSecretNotFound}
	}
	return f.versions[len(f.versions)-1].Properties, nil
}

func (f *fakeStore) Put(_ context.Context, v keyvault.NewVersion) (keyvault.Properties, error) {
	f.mu.Lock()
	f.puts++
	fail, lands, late := f.putErr, f.putLands, f.landsLate
	f.mu.Unlock()
	if fail != nil && !lands && !late {
		return keyvault.Properties{}, fail
	}
	now := time.Now().Truncate(time.Second)
	c := keyvault.Credentials{AccessToken: v.AccessToken, Username: v.Username, Properties: keyvault.Properties{
		Created: &now, Tags: map[string]string{keyvault.TagRotatedBy: v.RotatedBy, keyvault.TagTokenID: v.TokenID, keyvault.TagUsername: v.Username},
	}}
	if !v.ExpiresOn.IsZero() {
		e := v.ExpiresOn
		c.ExpiresOn = &e
	}
	if late {
		f.mu.Lock()
		c.Name, c.Version = "artifactory-access-token-secret", fmt.Sprintf("v%d", len(f.versions)+1)
		f.pending = &c
		f.mu.Unlock()
		return keyvault.Properties{}, fail
	}
	f.add(c)
	got, _ := f.latest()
	return got.Properties, fail
}

// fakeLocker is an in-memory lock.
type fakeLocker struct {
	mu      sync.Mutex
	busy    bool
	held    bool
	locks   int
	onLock  func()
	maxHeld int
	lose    context.CancelCauseFunc // cancels the held context
}

func (f *fakeLocker) Lock(ctx context.Context, wait time.Duration) (context.Context, func(context.Context) error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy || f.held {
		return nil, nil, fmt.Errorf("blob still leased after %v: %w", wait, lease.ErrBusy)
	}
	f.held = true
	f.locks++
	if f.onLock != nil {
		f.onLock()
	}
	held, cancel := context.WithCancelCause(ctx)
	f.lose = cancel
	return held, func(context.Context) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.held = false
		cancel(context.Canceled)
		return nil
	}, nil
}

// loseLease cancels the held context the way lease.Locker does when
// renewals fail.
func (f *fakeLocker) loseLease() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lose(fmt.Errorf("lease: renew: %w", lease.ErrLost))
}

// oldCreds is a stored token expiring in left.
func oldCreds(t testing.TB, left time.Duration) keyvault.Credentials {
	exp := time.Now().Add(left).Truncate(time.Second)
	tok := secret.Token(signJWT(t, jwt.MapClaims{"sub": "jfac@x/users/ci-user", "jti": "old-id"}))
	return keyvault.Credentials{AccessToken: tok, Username: "ci-user", Properties: keyvault.Properties{
		ExpiresOn: &exp, Tags: map[string]string{keyvault.TagRotatedBy: "frogbridge", keyvault.TagTokenID: "old-id"},
	}}
}

type fixture struct {
	tokens *fakeTokens
	jf     *fakeJFrog
	store  *fakeStore
	locker *fakeLocker
	svc    *Service
}

func newFixture(t testing.TB, cfg Config, deps func(*Dependencies)) *fixture {
	t.Helper()
	f := &fixture{tokens: &fakeTokens{t: t}, jf: &fakeJFrog{t: t}, store: &fakeStore{}, locker: &fakeLocker{}}
	if cfg.Audience == "" {
		cfg.Audience = audience
	}
	if cfg.ProviderName == "" {
		cfg.ProviderName = "azure-oidc"
	}
	if cfg.SecretTTL == 0 {
		cfg.SecretTTL = 4 * time.Hour
	}
	d := Dependencies{Tokens: f.tokens, Exchanger: f.jf, Verifier: f.jf, Revoker: f.jf, Store: f.store, Locker: f.locker}
	if deps != nil {
		deps(&d)
	}
	svc, err := NewService(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

// fakeForceLog is the lock blob's metadata, shared by every instance.
type fakeForceLog struct {
	mu    sync.Mutex
	marks map[string]time.Time
	err   error
}

func (f *fakeForceLog) Mark(_ context.Context, name string, t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if f.marks == nil {
		f.marks = map[string]time.Time{}
	}
	f.marks[name] = t
	return nil
}

func (f *fakeForceLog) Marked(_ context.Context, name string) (time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return time.Time{}, f.err
	}
	return f.marks[name], nil
}
