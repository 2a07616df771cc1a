package callerauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testTenant = "6f1e1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
	testClient = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
)

// idp is a test tenant: discovery, a JWKS with the current keys, and a
// counter of key-set fetches.
type idp struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    map[string]*rsa.PrivateKey
	fetches atomic.Int32
	fail    atomic.Bool
}

func newIDP(t testing.TB) *idp {
	t.Helper()
	p := &idp{keys: map[string]*rsa.PrivateKey{"k1": genKey(t)}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if p.fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{
			"issuer":   p.srv.URL + "/" + r.PathValue("tenant") + "/v2.0",
			"jwks_uri": p.srv.URL + "/" + r.PathValue("tenant") + "/discovery/v2.0/keys",
		})
	})
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		var set struct {
			Keys []map[string]string `json:"keys"`
		}
		for kid, k := range p.keys {
			set.Keys = append(set.Keys, map[string]string{
				"kty": "RSA", "use": "sig", "kid": kid,
				"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
			})
		}
		json.NewEncoder(w).Encode(set)
	})
	p.srv = httptest.NewTLSServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

var (
	keyOnce sync.Once
	keyPool []*rsa.PrivateKey
)

// genKey hands out one of a few pre-generated keys (2048-bit generation is
// slow on a shared machine).
func genKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keyPool = append(keyPool, k)
		}
	})
	k := keyPool[0]
	keyPool = append(keyPool[1:], k)
	return k
}

func (p *idp) validator(t testing.TB, mut func(*Options)) *Validator {
	t.Helper()
	o := Options{TenantID: testTenant, ClientID: testClient, AuthorityHost: p.srv.URL,
		ClientOptions: azcore.ClientOptions{Transport: p.srv.Client()}}
	o.Retry.MaxRetries = -1
	if mut != nil {
		mut(&o)
	}
	v, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// v2 returns the claims of a valid v2 app-only token.
func (p *idp) v2(roles ...string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"aud": testClient, "iss": p.srv.URL + "/" + testTenant + "/v2.0",
		"iat": now.Add(-5 * time.Minute).Unix(), "nbf": now.Add(-5 * time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
		"tid": testTenant, "oid": "11111111-2222-4333-8444-555555555555", "sub": "11111111-2222-4333-8444-555555555555",
		"azp": "99999999-8888-4777-8666-555555555555", "ver": "2.0", "roles": roles, "idtyp": "app",
	}
}

func (p *idp) sign(t testing.TB, kid string, c jwt.MapClaims) string {
	t.Helper()
	p.mu.Lock()
	k := p.keys[kid]
	p.mu.Unlock()
	if k == nil {
		k = genKey(t)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func TestValidate(t *testing.T) {
	p := newIDP(t)
	v := p.validator(t, nil)
	v1 := p.validator(t, func(o *Options) { o.AcceptV1 = true })
	base := p.v2(RoleJobsSubmit)
	v1Claims := with(base, "iss", IssuerV1(testTenant), "ver", "1.0", "azp", nil, "appid", "99999999-8888-4777-8666-555555555555", "aud", "api://"+testClient)
	now := time.Now()
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, base)
	hs.Header["kid"] = "k1"
	hsTok, _ := hs.SignedString([]byte("secret"))
	none := jwt.NewWithClaims(jwt.SigningMethodNone, base)
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	good := p.sign(t, "k1", base)
	parts := strings.Split(good, ".")
	otherPayload := strings.Split(p.sign(t, "k1", with(base, "roles", []string{RoleJobsSubmit, RoleRotationRun})), ".")[1]

	tests := []struct {
		name    string
		v       *Validator
		token   string
		wantErr error
		want    Caller
	}{
		{"v2 client id audience", v, good, nil, Caller{ObjectID: base["oid"].(string), AppID: base["azp"].(string), TenantID: testTenant, Version: "2.0", Roles: []string{RoleJobsSubmit}}},
		{"v2 api uri audience", v, p.sign(t, "k1", with(base, "aud", "api://"+testClient)), nil, Caller{}},
		{"audience list", v, p.sign(t, "k1", with(base, "aud", []string{"other", testClient})), nil, Caller{}},
		{"v1 accepted when configured", v1, p.sign(t, "k1", v1Claims), nil, Caller{AppID: "99999999-8888-4777-8666-555555555555", Version: "1.0"}},
		{"v1 refused by default", v, p.sign(t, "k1", v1Claims), ErrInvalidToken, Caller{}},
		{"v2 claims with v1 issuer", v1, p.sign(t, "k1", with(base, "iss", IssuerV1(testTenant))), ErrInvalidToken, Caller{}},
		{"other audience", v, p.sign(t, "k1", with(base, "aud", "https://vault.azure.net")), ErrInvalidToken, Caller{}},
		{"no audience", v, p.sign(t, "k1", with(base, "aud", nil)), ErrInvalidToken, Caller{}},
		{"other tenant issuer", v, p.sign(t, "k1", with(base, "iss", p.srv.URL+"/aaaaaaaa-3c4d-4e5f-8a9b-0c1d2e3f4a5b/v2.0")), ErrInvalidToken, Caller{}},
		{"other tenant tid", v, p.sign(t, "k1", with(base, "tid", "aaaaaaaa-3c4d-4e5f-8a9b-0c1d2e3f4a5b")), ErrInvalidToken, Caller{}},
		{"public issuer host", v, p.sign(t, "k1", with(base, "iss", IssuerV2(DefaultAuthorityHost, testTenant))), ErrInvalidToken, Caller{}},
		{"expired", v, p.sign(t, "k1", with(base, "exp", now.Add(-2*time.Minute).Unix())), ErrInvalidToken, Caller{}},
		{"expired within leeway", v, p.sign(t, "k1", with(base, "exp", now.Add(-20*time.Second).Unix())), nil, Caller{}},
		{"no exp", v, p.sign(t, "k1", with(base, "exp", nil)), ErrInvalidToken, Caller{}},
		{"not yet valid", v, p.sign(t, "k1", with(base, "nbf", now.Add(5*time.Minute).Unix())), ErrInvalidToken, Caller{}},
		{"no oid", v, p.sign(t, "k1", with(base, "oid", nil)), ErrInvalidToken, Caller{}},
		{"unknown kid", v, p.sign(t, "nope", base), ErrInvalidToken, Caller{}},
		{"HS256 with the kid", v, hsTok, ErrInvalidToken, Caller{}},
		{"alg none", v, noneTok, ErrInvalidToken, Caller{}},
		{"tampered payload", v, parts[0] + "." + otherPayload + "." + parts[2], ErrInvalidToken, Caller{}},
		{"tampered signature", v, parts[0] + "." + parts[1] + "." + strings.ToUpper(parts[2][:8]) + parts[2][8:], ErrInvalidToken, Caller{}},
		{"garbage", v, "not.a.jwt", ErrInvalidToken, Caller{}},
		{"too long", v, strings.Repeat("a", MaxTokenLength+1), ErrInvalidToken, Caller{}},
		{"empty", v, "", ErrNoToken, Caller{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.v.Validate(context.Background(), tt.token)
			if !errors.Is(err, tt.wantErr) || (err != nil && tt.wantErr == nil) {
				t.Fatalf("Validate error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), tt.token) && len(tt.token) > 10 {
					t.Errorf("error quotes the token: %v", err)
				}
				return
			}
			if tt.want.AppID != "" && got.AppID != tt.want.AppID {
				t.Errorf("AppID = %q, want %q", got.AppID, tt.want.AppID)
			}
			if tt.want.Version != "" && got.Version != tt.want.Version {
				t.Errorf("Version = %q, want %q", got.Version, tt.want.Version)
			}
			if tt.want.ObjectID != "" && (got.ObjectID != tt.want.ObjectID || got.TenantID != tt.want.TenantID ||
				!got.HasRole(RoleJobsSubmit) || got.HasRole(RoleJobsRead)) {
				t.Errorf("caller = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestKeyRollover: a token signed with a key published after the first
// fetch is accepted after one refetch; a flood of unknown kids refetches at
// most once per MinRefreshInterval.
func TestKeyRollover(t *testing.T) {
	p := newIDP(t)
	clock := time.Now()
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	v := p.validator(t, func(o *Options) { o.Now = now; o.MinRefreshInterval = time.Minute; o.MaxKeyAge = time.Hour })
	claims := func() jwt.MapClaims {
		return with(p.v2(), "iat", now().Unix(), "nbf", now().Unix(), "exp", now().Add(2*time.Hour).Unix())
	}
	if _, err := v.Validate(context.Background(), p.sign(t, "k1", claims())); err != nil {
		t.Fatal(err)
	}
	if n := p.fetches.Load(); n != 1 {
		t.Fatalf("%d key fetches after the first token, want 1", n)
	}
	for range 50 {
		v.Validate(context.Background(), p.sign(t, "garbage", claims()))
	}
	if n := p.fetches.Load(); n != 1 {
		t.Fatalf("unknown kids within the refresh interval caused %d fetches, want 1", n)
	}
	// The tenant rolls over to k2.
	p.mu.Lock()
	p.keys["k2"] = genKey(t)
	p.mu.Unlock()
	tok := p.sign(t, "k2", claims())
	if _, err := v.Validate(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("new kid within the interval: %v, want refused", err)
	}
	advance(61 * time.Second)
	if _, err := v.Validate(context.Background(), p.sign(t, "k2", claims())); err != nil {
		t.Fatalf("new kid after the interval: %v", err)
	}
	if n := p.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	// Keys older than MaxKeyAge are refetched even for a known kid; a
	// failed refetch keeps the cached keys.
	p.fail.Store(true)
	advance(2 * time.Hour)
	if _, err := v.Validate(context.Background(), p.sign(t, "k1", claims())); err != nil {
		t.Fatalf("known kid with the tenant down: %v", err)
	}
}

func TestKeysUnavailable(t *testing.T) {
	p := newIDP(t)
	p.fail.Store(true)
	v := p.validator(t, nil)
	_, err := v.Validate(context.Background(), p.sign(t, "k1", p.v2()))
	if !errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrInvalidToken) {
		t.Fatalf("error = %v, want ErrKeysUnavailable only", err)
	}
}

func TestNewRejects(t *testing.T) {
	for _, o := range []Options{
		{TenantID: "contoso", ClientID: testClient},
		{TenantID: testTenant, ClientID: "api://x"},
		{TenantID: testTenant, ClientID: testClient, AuthorityHost: "http://login.microsoftonline.com"},
		{TenantID: testTenant, ClientID: testClient, AuthorityHost: "https://login.microsoftonline.com/tenant"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestParseBearerAndChallenge(t *testing.T) {
	for _, tt := range []struct {
		header, want string
		err          error
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", nil},
		{"bearer abc", "abc", nil},
		{"", "", ErrNoToken},
		{"Basic dXNlcjpwYXNz", "", ErrInvalidToken},
		{"Bearer", "", ErrInvalidToken},
		{"Bearer a b", "", ErrInvalidToken},
	} {
		got, err := ParseBearer(tt.header)
		if got != tt.want || !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
			t.Errorf("ParseBearer(%q) = %q, %v", tt.header, got, err)
		}
	}
	h := http.Header{}
	Challenge(h, "frogbridge", "api://x", ErrNoToken, "")
	if got := h.Get("WWW-Authenticate"); got != `Bearer realm="frogbridge", resource_id="api://x"` {
		t.Errorf("no-token challenge = %s", got)
	}
	Challenge(h, "frogbridge", "", errors.Join(ErrInvalidToken, errors.New(`bad "quote" \ here`)), "")
	if got := h.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="frogbridge", error="invalid_token", error_description="invalid token`) || strings.Contains(got, `\`) {
		t.Errorf("invalid-token challenge = %s", got)
	}
	Challenge(h, "frogbridge", "", nil, RoleJobsRead)
	if got := h.Get("WWW-Authenticate"); !strings.Contains(got, `error="insufficient_scope"`) || !strings.Contains(got, RoleJobsRead) {
		t.Errorf("role challenge = %s", got)
	}
}

// FuzzValidate feeds arbitrary tokens (seeded with valid, tampered and
// foreign ones) to the validator: it never panics, and whatever it accepts
// carries the tenant, an audience and an object id.
func FuzzValidate(f *testing.F) {
	p := newIDP(f)
	v := p.validator(f, nil)
	good := p.sign(f, "k1", p.v2(RoleJobsSubmit))
	f.Add(good)
	f.Add(p.sign(f, "k1", with(p.v2(), "aud", []any{1, 2})))
	f.Add(p.sign(f, "k1", with(p.v2(), "roles", "Jobs.Submit")))
	f.Add(p.sign(f, "other", p.v2()))
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := v.Validate(context.Background(), raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrNoToken) && !errors.Is(err, ErrKeysUnavailable) {
				t.Fatalf("error matches no sentinel: %v", err)
			}
			return
		}
		if raw != good && c.ObjectID == "" || c.TenantID != testTenant {
			t.Fatalf("accepted %q as %+v", raw, c)
		}
	})
}

// FuzzParseBearer: whatever the header, ParseBearer returns a token
// without spaces or commas, or an error that matches a sentinel.
func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"Bearer a.b.c", "bearer  x", "Basic abc", "", "Bearer", "Bearer a,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := ParseBearer(h)
		if err != nil {
			if !errors.Is(err, ErrNoToken) && !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if tok == "" || strings.ContainsAny(tok, " \t,") {
			t.Fatalf("ParseBearer(%q) = %q", h, tok)
		}
	})
}

// TestValidateConcurrently: concurrent first requests share one key fetch.
func TestValidateConcurrently(t *testing.T) {
	p := newIDP(t)
	v := p.validator(t, nil)
	tok := p.sign(t, "k1", p.v2(RoleJobsRead))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Validate(context.Background(), tok)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Errorf("%d key fetches for 16 concurrent first requests, want 1", n)
	}
}
