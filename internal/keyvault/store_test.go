package keyvault_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

const jfrogToken = "eyJhbGciOiJSUzI1NiJ9.amZyb2ctYWNjZXNzLXRva2Vu.c2lnbmF0dXJl"

// testSettings are the setting names the tests' stores put in their hints.
var testSettings = keyvault.SettingNames{ClientID: "TEST_CLIENT_ID", Vault: "TEST_VAULT_URL", SecretName: "TEST_SECRET_NAME"}

func newStore(t *testing.T, fv *fakeVault, cred azcore.TokenCredential) *keyvault.Store {
	t.Helper()
	return newStoreNamed(t, fv, cred, testSettings)
}

func newStoreNamed(t *testing.T, fv *fakeVault, cred azcore.TokenCredential, names keyvault.SettingNames) *keyvault.Store {
	t.Helper()
	s, err := keyvault.NewStore(fv.srv.URL, cred, &keyvault.StoreOptions{ClientOptions: azcore.ClientOptions{
		Transport: fv.srv.Client(),
		Retry:     policy.RetryOptions{RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 2 * time.Second},
	}, SettingNames: names})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPutAndCurrent(t *testing.T) {
	fv := newFakeVault(t)
	cred := &fakeCred{}
	s := newStore(t, fv, cred)
	ctx := context.Background()
	exp := time.Now().Add(4 * time.Hour).Truncate(time.Second)

	props, err := s.Put(ctx, keyvault.NewVersion{
		AccessToken: jfrogToken, Username: "ci-user", ExpiresOn: exp, TokenID: "jti-1", RotatedBy: "frogbridge", Trigger: "timer",
	})
	if err != nil {
		t.Fatal(err)
	}
	if props.Version == "" || props.ExpiresOn == nil || !props.ExpiresOn.Equal(exp) {
		t.Fatalf("props = %+v", props)
	}
	// challenge flow: one unauthenticated probe, then the token for the vault scope and tenant
	if fv.unauth != 1 {
		t.Errorf("challenge probes = %d, want 1", fv.unauth)
	}
	if len(cred.reqs) == 0 || cred.reqs[0].Scopes[0] != "https://vault.azure.net/.default" || cred.reqs[0].TenantID != tenantID {
		t.Errorf("token requests = %+v", cred.reqs)
	}
	put := fv.bodies[0]
	for _, want := range []string{`"contentType":"application/json"`, `"rotated-by":"frogbridge"`, `"token-id":"jti-1"`, `"username":"ci-user"`, fmt.Sprintf(`"exp":%d`, exp.Unix())} {
		if !strings.Contains(put, want) {
			t.Errorf("PUT body lacks %s: %s", want, put)
		}
	}
	stored := fv.data[keyvault.DefaultSecretName][0]
	for k, v := range stored.Tags {
		if strings.Contains(v, jfrogToken) || strings.Contains(k, jfrogToken) {
			t.Errorf("tag %s holds the token", k)
		}
	}

	cur, err := s.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur.AccessToken.Reveal() != jfrogToken || cur.Username != "ci-user" || cur.Version != props.Version || cur.TokenID() != "jti-1" {
		t.Errorf("current = %+v", cur)
	}
	if cur.ExpiresOn == nil || !cur.ExpiresOn.Equal(exp) || cur.Created == nil {
		t.Errorf("attributes = %+v", cur.Properties)
	}
	meta, err := s.Properties(ctx)
	if err != nil || meta.Version != props.Version || meta.Tags[keyvault.TagTrigger] != "timer" {
		t.Errorf("Properties = %+v, %v", meta, err)
	}
}

func TestStoreErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		header    http.Header
		failTimes int
		sentinel  error
		wantCalls int
		contains  []string
	}{
		{"403 rbac", 403, `{"error":{"code":"Forbidden","message":"Caller is not authorized","innererror":{"code":"ForbiddenByRbac"}}}`, nil, 99, upstream.ErrForbidden, 1,
			[]string{"Key Vault Secrets User", "ForbiddenByRbac", "403"}},
		{"403 disabled", 403, `{"error":{"code":"Forbidden","message":"Operation get is not allowed on a disabled secret.","innererror":{"code":"SecretDisabled"}}}`, nil, 99, upstream.ErrForbidden, 1,
			[]string{"enable the latest version"}},
		{"401", 401, `{"error":{"code":"Unauthorized","message":"AKV10032: Invalid issuer."}}`, nil, 99, upstream.ErrUnauthorized, 1, []string{"TEST_CLIENT_ID"}},
		{"400 not retried", 400, `{"error":{"code":"BadParameter","message":"bad"}}`, nil, 99, nil, 1, []string{"400", "BadParameter"}},
		{"429 retry-after then ok", 429, `{"error":{"code":"Throttled","message":"slow down"}}`, http.Header{"Retry-After": {"1"}}, 1, nil, 2, nil},
		{"500 exhausted", 500, `{"error":{"code":"InternalError","message":"boom"}}`, nil, 99, upstream.ErrUnavailable, 4, []string{"500"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fv := newFakeVault(t)
			fv.put(keyvault.DefaultSecretName, `{"access_token":"`+jfrogToken+`","username":"u"}`, nil)
			fv.fault = func(n int) (int, string, http.Header) {
				if n <= tc.failTimes {
					return tc.status, tc.body, tc.header
				}
				return 0, "", nil
			}
			s := newStore(t, fv, &fakeCred{})
			start := time.Now()
			_, err := s.Current(context.Background())
			if fv.calls != tc.wantCalls {
				t.Errorf("authenticated calls = %d, want %d", fv.calls, tc.wantCalls)
			}
			if tc.failTimes < tc.wantCalls {
				if err != nil {
					t.Fatalf("want success after retry, got %v", err)
				}
				if time.Since(start) < 900*time.Millisecond {
					t.Error("Retry-After not honoured")
				}
				return
			}
			var re *upstream.ResponseError
			if !errors.As(err, &re) || re.StatusCode != tc.status {
				t.Fatalf("err = %T %v", err, err)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(%v) false for %v", tc.sentinel, err)
			}
			for _, want := range append(tc.contains, fv.srv.URL, keyvault.DefaultSecretName) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if strings.Contains(err.Error(), jfrogToken) {
				t.Error("error holds the token")
			}
		})
	}
}

func TestSecretMissingAndMalformed(t *testing.T) {
	fv := newFakeVault(t)
	s := newStore(t, fv, &fakeCred{})
	ctx := context.Background()
	_, err := s.Current(ctx)
	if !errors.Is(err, keyvault.ErrSecretNotFound) || !errors.Is(err, upstream.ErrNotFound) || !strings.Contains(err.Error(), "SecretNotFound") || !strings.Contains(err.Error(), "TEST_SECRET_NAME") {
		t.Fatalf("missing secret: %v", err)
	}
	if _, err := newStoreNamed(t, fv, &fakeCred{}, keyvault.SettingNames{}).Current(ctx); !strings.Contains(err.Error(), "check the secret name or run the rotation") {
		t.Fatalf("missing secret, no setting names: %v", err)
	}
	const leaky = `{"access_token": 42, "username":"hunter2-password"}`
	fv.put(keyvault.DefaultSecretName, leaky, nil)
	c, err := s.Current(ctx)
	if !errors.Is(err, keyvault.ErrMalformedSecret) || !strings.Contains(err.Error(), "access_token is not a string") {
		t.Fatalf("malformed: %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") || c.Version == "" {
		t.Errorf("err = %v, version %q", err, c.Version)
	}
}

func TestCredentialFailure(t *testing.T) {
	fv := newFakeVault(t)
	s := newStore(t, fv, &fakeCred{err: errors.New("identity endpoint down")})
	_, err := s.Current(context.Background())
	if err == nil || !strings.Contains(err.Error(), "identity endpoint down") {
		t.Fatalf("err = %v", err)
	}
}

// TestChallengeVerification checks that the resource check is off only for
// loopback vault hosts: the same server reached as example.com (a name its
// certificate covers) fails the check.
func TestChallengeVerification(t *testing.T) {
	fv := newFakeVault(t)
	fv.put(keyvault.DefaultSecretName, `{"access_token":"`+jfrogToken+`","username":"u"}`, nil)
	addr := fv.srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	tr := fv.srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	tests := []struct {
		name   string
		url    string
		wantOK bool
	}{
		{"loopback ip", "https://127.0.0.1:" + port + "/", true},
		{"public name", "https://example.com:" + port + "/", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := keyvault.NewStore(tc.url, &fakeCred{}, &keyvault.StoreOptions{ClientOptions: azcore.ClientOptions{
				Transport: &http.Client{Transport: tr}, Retry: policy.RetryOptions{MaxRetries: -1},
			}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Current(context.Background())
			if (err == nil) != tc.wantOK {
				t.Fatalf("err = %v, want ok=%v", err, tc.wantOK)
			}
			if tc.name == "public name" && !strings.Contains(err.Error(), "doesn't match the requested domain") {
				t.Errorf("want challenge resource mismatch, got %v", err)
			}
		})
	}
}

func TestCredentialsNeverLogged(t *testing.T) {
	exp := time.Now().Add(time.Hour)
	c := keyvault.Credentials{AccessToken: jfrogToken, Username: "u", Properties: keyvault.Properties{Name: "n", Version: "v", ExpiresOn: &exp}}
	nv := keyvault.NewVersion{AccessToken: jfrogToken, Username: "u"}
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	log.Info().Object("creds", c).Interface("iface", c).Interface("nv", nv).Msg("x")
	out := buf.String() + fmt.Sprintf("%v %+v %#v %s", c, c, nv, nv)
	if strings.Contains(out, jfrogToken) {
		t.Fatalf("token logged: %s", out)
	}
	if !strings.Contains(out, secret.Token(jfrogToken).Fingerprint()) || !strings.Contains(out, `"username":"u"`) {
		t.Errorf("log lacks the fingerprint or username: %s", out)
	}
}

// TestPropertiesReadsNoValue: the attributes come from the versions
// listing, which carries no value; the newest enabled version by created
// time wins, whatever the listing's order.
func TestPropertiesReadsNoValue(t *testing.T) {
	fv := newFakeVault(t)
	s := newStore(t, fv, &fakeCred{})
	now := time.Now().Unix()
	name := keyvault.DefaultSecretName
	fv.put(name, `{"access_token":"old","username":"u"}`, map[string]any{"created": now - 100})
	fv.put(name, `{"access_token":"cur","username":"u"}`, map[string]any{"created": now - 50, "exp": now + 3600})
	fv.put(name, `{"access_token":"off","username":"u"}`, map[string]any{"created": now - 10, "enabled": false})
	fv.mu.Lock()
	fv.data[name][1].Tags = map[string]string{keyvault.TagUsername: "ci-user", keyvault.TagTokenID: "jti-2"}
	fv.mu.Unlock()

	p, err := s.Properties(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != fmt.Sprintf("%032x", 2) || p.Tags[keyvault.TagUsername] != "ci-user" || p.TokenID() != "jti-2" || p.ExpiresOn == nil {
		t.Errorf("Properties = %+v, want the newest enabled version (2) with its tags and expiry", p)
	}
	for _, path := range fv.gets {
		if !strings.HasSuffix(path, "/versions") {
			t.Errorf("Properties read %s, which returns the value", path)
		}
	}

	fv.mu.Lock()
	fv.data["never"] = nil
	fv.mu.Unlock()
	other, err := keyvault.NewStore(fv.srv.URL, &fakeCred{}, &keyvault.StoreOptions{SecretName: "never", ClientOptions: azcore.ClientOptions{Transport: fv.srv.Client()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Properties(context.Background()); !errors.Is(err, keyvault.ErrSecretNotFound) || !errors.Is(err, upstream.ErrNotFound) {
		t.Errorf("Properties of a missing secret = %v, want ErrSecretNotFound", err)
	}
	fv.put("never", `{"access_token":"off","username":"u"}`, map[string]any{"enabled": false})
	if _, err := other.Properties(context.Background()); !errors.Is(err, keyvault.ErrSecretNotFound) {
		t.Errorf("Properties of a secret without an enabled version = %v, want ErrSecretNotFound", err)
	}
}
