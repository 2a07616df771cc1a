package localjfrog

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestExchange(t *testing.T) {
	is := newTestIssuer(t)
	other := newTestIssuer(t)
	st := newStack(t, t.TempDir())
	st.provision(t, is, "api://jfrog")
	// A second, lower-priority mapping matching the same subject must lose.
	wantStatus(t, st.doJSON(t, "POST", "/access/api/v1/oidc/azure-oidc/identity_mappings", st.s.AdminToken(), map[string]any{
		"name": "catch-all", "priority": 5,
		"claims":     map[string]any{"iss": is.URL},
		"token_spec": map[string]any{"username": "reader", "expires_in": 120},
	}), http.StatusCreated)
	foreignKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := jwt.MapClaims{"iss": is.URL, "aud": "api://jfrog", "sub": "func-oid"}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range good {
			c[kk] = vv
		}
		c[k] = v // nil removes the claim
		return c
	}
	tests := []struct {
		name     string
		subject  string
		status   int
		username string
		expires  int64
		msg      string
	}{
		{"good token, highest priority mapping", is.token(t, good), 200, "rotator", 3600, ""},
		{"aud as array", is.token(t, with("aud", []string{"other", "api://jfrog"})), 200, "rotator", 3600, ""},
		{"other subject falls to the lower priority mapping", is.token(t, with("sub", "someone-else")), 200, "reader", 120, ""},
		{"wrong audience", is.token(t, with("aud", "api://other")), 401, "", 0, "audience"},
		{"wrong issuer", other.token(t, with("iss", other.URL)), 401, "", 0, "issuer"},
		{"expired", is.token(t, with("exp", time.Now().Add(-time.Hour).Unix())), 401, "", 0, "expired"},
		{"not yet valid", is.token(t, with("nbf", time.Now().Add(time.Hour).Unix())), 401, "", 0, "not valid yet"},
		{"no exp", is.token(t, with("exp", nil)), 401, "", 0, "exp"},
		{"bad signature", signToken(t, foreignKey, is.kid, good), 401, "", 0, "signature"},
		{"unknown kid", signToken(t, foreignKey, "nope", good), 401, "", 0, "kid"},
		{"not a JWT", "abc.def", 401, "", 0, "not a JWT"},
		{"extra claims do not prevent a match", signToken(t, is.key, is.kid, jwt.MapClaims{"iss": is.URL, "aud": "api://jfrog", "sub": "x", "iss2": 1}), 200, "reader", 120, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := st.exchange(t, tc.subject)
			if tc.status != 200 {
				msg := wantError(t, r, tc.status)
				if !strings.Contains(msg, tc.msg) {
					t.Errorf("message %q does not mention %q", msg, tc.msg)
				}
				return
			}
			wantStatus(t, r, 200)
			var out exchangeResponse
			r.json(t, &out)
			if out.Username != tc.username || out.ExpiresIn != tc.expires || out.TokenType != "Bearer" || out.IssuedTokenType != tokenTypeAccess || out.Scope == "" {
				t.Fatalf("response %+v, want username %s expires_in %d", out, tc.username, tc.expires)
			}
			claims := jwt.MapClaims{}
			_, err := jwt.ParseWithClaims(out.AccessToken, claims, func(*jwt.Token) (any, error) { return &st.s.signer.key.PublicKey, nil })
			if err != nil {
				t.Fatalf("access token does not verify with the server key: %v", err)
			}
			iss := st.s.issuer()
			if claims["iss"] != iss || claims["sub"] != iss+"/users/"+tc.username || claims["scp"] != out.Scope || claims["aud"] != "*@*" || claims["jti"] == "" {
				t.Fatalf("claims %v", claims)
			}
			exp, iat := claims["exp"].(float64), claims["iat"].(float64)
			if int64(exp-iat) != tc.expires {
				t.Fatalf("exp-iat = %v, want %d", exp-iat, tc.expires)
			}
		})
	}
}

func TestExchangeNoMapping(t *testing.T) {
	is := newTestIssuer(t)
	st := newStack(t, t.TempDir())
	st.provision(t, is, "api://jfrog")
	r := st.exchange(t, is.token(t, jwt.MapClaims{"iss": is.URL, "aud": "api://jfrog", "sub": "stranger"}))
	if msg := wantError(t, r, http.StatusForbidden); !strings.Contains(msg, "identity mapping") {
		t.Fatalf("message %q does not name the identity mapping", msg)
	}
	// Forcing a mapping by name that does not match is refused too.
	r = st.doJSON(t, "POST", "/access/api/v1/oidc/token", "", map[string]any{
		"grant_type": grantTokenExchange, "subject_token_type": tokenTypeIDToken, "provider_name": "azure-oidc",
		"subject_token":         is.token(t, jwt.MapClaims{"iss": is.URL, "aud": "api://jfrog", "sub": "func-oid"}),
		"identity_mapping_name": "missing",
	})
	wantError(t, r, http.StatusForbidden)
}

func TestExchangeBadRequests(t *testing.T) {
	is := newTestIssuer(t)
	st := newStack(t, t.TempDir())
	st.provision(t, is, "api://jfrog")
	tok := is.token(t, jwt.MapClaims{"iss": is.URL, "aud": "api://jfrog", "sub": "func-oid"})
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"not JSON", "grant_type=x", 400},
		{"empty", "", 400},
		{"wrong grant", `{"grant_type":"client_credentials","subject_token_type":"` + tokenTypeIDToken + `","subject_token":"` + tok + `","provider_name":"azure-oidc"}`, 400},
		{"wrong token type", `{"grant_type":"` + grantTokenExchange + `","subject_token_type":"jwt","subject_token":"` + tok + `","provider_name":"azure-oidc"}`, 400},
		{"no subject", `{"grant_type":"` + grantTokenExchange + `","subject_token_type":"` + tokenTypeIDToken + `","provider_name":"azure-oidc"}`, 400},
		{"no provider", `{"grant_type":"` + grantTokenExchange + `","subject_token_type":"` + tokenTypeIDToken + `","subject_token":"` + tok + `"}`, 400},
		{"unknown provider", `{"grant_type":"` + grantTokenExchange + `","subject_token_type":"` + tokenTypeIDToken + `","subject_token":"` + tok + `","provider_name":"nope"}`, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := st.do(t, "POST", "/access/api/v1/oidc/token", "", strings.NewReader(tc.body), map[string]string{"Content-Type": "application/json"})
			wantError(t, r, tc.status)
		})
	}
}

func TestJWKSCached(t *testing.T) {
	is := newTestIssuer(t)
	st := newStack(t, t.TempDir())
	st.provision(t, is, "api://jfrog")
	for i := 0; i < 3; i++ {
		wantStatus(t, st.exchange(t, is.token(t, jwt.MapClaims{"iss": is.URL, "aud": "api://jfrog", "sub": "func-oid"})), 200)
	}
	if n := is.served.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times for 3 exchanges, want 1", n)
	}
}

// identity_mapping_name selects the mapping (over priority), and a scope
// asked for must lie within that mapping's token_spec.scope.
func TestExchangeMappingNameAndScope(t *testing.T) {
	is := newTestIssuer(t)
	st := newStack(t, t.TempDir())
	st.provision(t, is, "api://jfrog")
	wantStatus(t, st.doJSON(t, "POST", "/access/api/v1/oidc/azure-oidc/identity_mappings", st.s.AdminToken(), map[string]any{
		"name": "docker", "priority": 5,
		"claims":     map[string]any{"iss": is.URL},
		"token_spec": map[string]any{"username": "reader", "scope": "applied-permissions/groups:readers,deployers", "expires_in": 120},
	}), http.StatusCreated)
	subject := is.token(t, jwt.MapClaims{"iss": is.URL, "aud": "api://jfrog", "sub": "func-oid"})
	ex := func(extra map[string]any) response {
		body := map[string]any{
			"grant_type": grantTokenExchange, "subject_token_type": tokenTypeIDToken,
			"subject_token": subject, "provider_name": "azure-oidc", "provider_type": "Azure",
		}
		for k, v := range extra {
			body[k] = v
		}
		return st.doJSON(t, "POST", "/access/api/v1/oidc/token", "", body)
	}
	tests := []struct {
		name      string
		extra     map[string]any
		status    int
		username  string
		scope     string
		msgNaming string
	}{
		{"priority without a name", nil, 200, "rotator", "", ""},
		{"name selects the lower-priority mapping", map[string]any{"identity_mapping_name": "docker"}, 200, "reader", "applied-permissions/groups:readers,deployers", ""},
		{"scope within the mapping's", map[string]any{"identity_mapping_name": "docker", "scope": "applied-permissions/groups:readers"}, 200, "reader", "applied-permissions/groups:readers", ""},
		{"scope beyond the mapping's", map[string]any{"identity_mapping_name": "docker", "scope": "applied-permissions/admin"}, 403, "", "", "docker"},
		{"unknown mapping name", map[string]any{"identity_mapping_name": "nope"}, 403, "", "", "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ex(tc.extra)
			if tc.status != 200 {
				if msg := wantError(t, r, tc.status); !strings.Contains(msg, tc.msgNaming) {
					t.Errorf("message %q does not name %q", msg, tc.msgNaming)
				}
				return
			}
			wantStatus(t, r, 200)
			var out exchangeResponse
			r.json(t, &out)
			if out.Username != tc.username || (tc.scope != "" && out.Scope != tc.scope) {
				t.Fatalf("response user %s scope %q, want %s %q", out.Username, out.Scope, tc.username, tc.scope)
			}
			claims := jwt.MapClaims{}
			if _, _, err := jwt.NewParser().ParseUnverified(out.AccessToken, claims); err != nil {
				t.Fatal(err)
			}
			if tc.scope != "" && claims["scp"] != tc.scope {
				t.Errorf("scp = %v, want %q", claims["scp"], tc.scope)
			}
		})
	}
}
