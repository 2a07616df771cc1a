package localjfrog

import (
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestPingIsAnonymous(t *testing.T) {
	st := newStack(t, t.TempDir())
	tests := []struct{ path, body string }{
		{"/artifactory/api/system/ping", "OK"},
		{"/access/api/v1/system/ping", "OK"},
		{"/artifactory/api/v1/system/readiness", `"code": "OK"`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			// Ping does not validate credentials, like JFrog.
			r := st.do(t, "GET", tc.path, "not-a-token", nil, nil)
			wantStatus(t, r, 200)
			if !strings.Contains(string(r.Body), tc.body) {
				t.Fatalf("body %q, want %q", r.Body, tc.body)
			}
		})
	}
}

func TestAuthErrors(t *testing.T) {
	is := newTestIssuer(t)
	st := newStack(t, t.TempDir())
	user := st.userToken(t, is)
	tests := []struct {
		name, method, path, token string
		status                    int
		msg                       string
	}{
		{"no token on a repository", "GET", "/artifactory/api/repositories", "", 401, msgAuthRequired},
		{"garbage token", "GET", "/access/api/v1/tokens/me", "garbage", 401, msgBadCreds},
		{"token from another signer", "GET", "/access/api/v1/tokens/me", is.token(t, jwt.MapClaims{"iss": st.s.issuer(), "jti": "x"}), 401, msgBadCreds},
		{"user on an admin API", "GET", "/access/api/v1/oidc", user, 403, msgNeedAdmin},
		{"user creating a repository", "PUT", "/artifactory/api/repositories/x", user, 403, msgNeedAdmin},
		{"no token on the ML API", "POST", "/artifactory/api/machinelearning/ml/model/m/start-transaction", "", 401, msgAuthRequired},
		{"unknown route", "GET", "/access/api/v1/nothing", st.s.AdminToken(), 404, "Not Found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := st.do(t, tc.method, tc.path, tc.token, strings.NewReader("{}"), nil)
			if msg := wantError(t, r, tc.status); msg != tc.msg {
				t.Fatalf("message %q, want %q", msg, tc.msg)
			}
		})
	}
	t.Run("basic auth with a token as password", func(t *testing.T) {
		r := st.do(t, "GET", "/access/api/v1/tokens/me", "", nil, map[string]string{
			"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("rotator:"+user)),
		})
		wantStatus(t, r, 200)
	})
	t.Run("access errors carry a code", func(t *testing.T) {
		r := st.do(t, "GET", "/access/api/v1/oidc", user, nil, nil)
		if !strings.Contains(string(r.Body), `"code": "FORBIDDEN"`) {
			t.Fatalf("body %s has no FORBIDDEN code", r.Body)
		}
	})
}

func TestOIDCConfigurationAPI(t *testing.T) {
	st := newStack(t, t.TempDir())
	admin := st.s.AdminToken()
	valid := map[string]any{"name": "azure-oidc", "issuer_url": "https://login.example/tenant/v2.0", "provider_type": "Azure", "audience": "api://x"}
	wantStatus(t, st.doJSON(t, "POST", "/access/api/v1/oidc", admin, valid), http.StatusCreated)
	wantError(t, st.doJSON(t, "POST", "/access/api/v1/oidc", admin, valid), http.StatusConflict)

	badProviders := []struct {
		name string
		body map[string]any
	}{
		{"no name", map[string]any{"issuer_url": "https://a.example"}},
		{"http issuer", map[string]any{"name": "p", "issuer_url": "http://a.example"}},
		{"unknown type", map[string]any{"name": "p", "issuer_url": "https://a.example", "provider_type": "Okta"}},
	}
	for _, tc := range badProviders {
		t.Run("provider/"+tc.name, func(t *testing.T) {
			wantError(t, st.doJSON(t, "POST", "/access/api/v1/oidc", admin, tc.body), http.StatusBadRequest)
		})
	}

	var got provider
	r := st.do(t, "GET", "/access/api/v1/oidc/azure-oidc", admin, nil, nil)
	wantStatus(t, r, 200)
	r.json(t, &got)
	if got.IssuerURL != valid["issuer_url"] || got.ProviderType != "Azure" || got.Audience != "api://x" {
		t.Fatalf("provider %+v", got)
	}
	var list []provider
	st.do(t, "GET", "/access/api/v1/oidc", admin, nil, nil).json(t, &list)
	if len(list) != 1 || list[0].Name != "azure-oidc" {
		t.Fatalf("list %+v", list)
	}

	mapping := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"name": "m1", "priority": 1, "claims": map[string]any{"sub": "x"},
			"token_spec": map[string]any{"username": "u", "scope": "applied-permissions/user", "expires_in": 600}}
		if mod != nil {
			mod(m)
		}
		return m
	}
	badMappings := []struct {
		name string
		mod  func(m map[string]any)
	}{
		{"no priority", func(m map[string]any) { delete(m, "priority") }},
		{"zero priority", func(m map[string]any) { m["priority"] = 0 }},
		{"no claims", func(m map[string]any) { m["claims"] = map[string]any{} }},
		{"bad scope", func(m map[string]any) { m["token_spec"].(map[string]any)["scope"] = "everything" }},
		{"expires too short", func(m map[string]any) { m["token_spec"].(map[string]any)["expires_in"] = 10 }},
		{"no username", func(m map[string]any) { delete(m["token_spec"].(map[string]any), "username") }},
		{"name with space", func(m map[string]any) { m["name"] = "a b" }},
	}
	for _, tc := range badMappings {
		t.Run("mapping/"+tc.name, func(t *testing.T) {
			wantError(t, st.doJSON(t, "POST", "/access/api/v1/oidc/azure-oidc/identity_mappings", admin, mapping(tc.mod)), http.StatusBadRequest)
		})
	}
	wantError(t, st.doJSON(t, "POST", "/access/api/v1/oidc/missing/identity_mappings", admin, mapping(nil)), http.StatusNotFound)
	wantStatus(t, st.doJSON(t, "POST", "/access/api/v1/oidc/azure-oidc/identity_mappings", admin, mapping(func(m map[string]any) {
		delete(m["token_spec"].(map[string]any), "expires_in")
	})), http.StatusCreated)
	wantError(t, st.doJSON(t, "POST", "/access/api/v1/oidc/azure-oidc/identity_mappings", admin, mapping(nil)), http.StatusConflict)
	var ms []identityMapping
	st.do(t, "GET", "/access/api/v1/oidc/azure-oidc/identity_mappings", admin, nil, nil).json(t, &ms)
	if len(ms) != 1 || ms[0].TokenSpec.ExpiresIn != 60 || ms[0].TokenSpec.Audience != "*@*" {
		t.Fatalf("mappings %+v, want the defaults expires_in 60 and audience *@*", ms)
	}
	wantStatus(t, st.do(t, "DELETE", "/access/api/v1/oidc/azure-oidc/identity_mappings/m1", admin, nil, nil), http.StatusNoContent)
	wantError(t, st.do(t, "GET", "/access/api/v1/oidc/azure-oidc/identity_mappings/m1", admin, nil, nil), http.StatusNotFound)
	wantStatus(t, st.do(t, "DELETE", "/access/api/v1/oidc/azure-oidc", admin, nil, nil), http.StatusNoContent)
	wantError(t, st.do(t, "GET", "/access/api/v1/oidc/azure-oidc", admin, nil, nil), http.StatusNotFound)
}

func TestTokensMeAndRevoke(t *testing.T) {
	is := newTestIssuer(t)
	st := newStack(t, t.TempDir())
	user := st.userToken(t, is)
	second := st.exchange(t, is.token(t, jwt.MapClaims{"iss": is.URL, "aud": "api://jfrog", "sub": "func-oid"}))
	var other exchangeResponse
	second.json(t, &other)

	var me tokenInfo
	r := st.do(t, "GET", "/access/api/v1/tokens/me", user, nil, nil)
	wantStatus(t, r, 200)
	r.json(t, &me)
	if !strings.HasSuffix(me.Subject, "/users/rotator") || me.Issuer != st.s.issuer() || me.Expiry-me.IssuedAt != 3600 || me.TokenID == "" {
		t.Fatalf("tokens/me %+v", me)
	}
	var list struct{ Tokens []tokenInfo }
	st.do(t, "GET", "/access/api/v1/tokens", user, nil, nil).json(t, &list)
	if len(list.Tokens) != 2 {
		t.Fatalf("user sees %d tokens, want its 2", len(list.Tokens))
	}

	// A user of another subject may not revoke it.
	stranger, _, err := st.s.issueToken("stranger", scopeUser, "*@*", 600, "")
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, st.do(t, "DELETE", "/access/api/v1/tokens/"+me.TokenID, stranger, nil, nil), http.StatusForbidden)

	// The owner revokes with another of its tokens: 200, then 204.
	wantStatus(t, st.do(t, "DELETE", "/access/api/v1/tokens/"+me.TokenID, other.AccessToken, nil, nil), http.StatusOK)
	wantStatus(t, st.do(t, "DELETE", "/access/api/v1/tokens/"+me.TokenID, other.AccessToken, nil, nil), http.StatusNoContent)
	wantStatus(t, st.do(t, "DELETE", "/access/api/v1/tokens/unknown-id", st.s.AdminToken(), nil, nil), http.StatusNoContent)
	for _, p := range []string{"/access/api/v1/tokens/me", "/artifactory/api/repositories", "/artifactory/api/storage/x"} {
		if msg := wantError(t, st.do(t, "GET", p, user, nil, nil), http.StatusUnauthorized); msg != msgRevoked {
			t.Fatalf("%s: message %q, want %q", p, msg, msgRevoked)
		}
	}
	// Revoking "me" revokes the caller's own token.
	wantStatus(t, st.do(t, "DELETE", "/access/api/v1/tokens/me", other.AccessToken, nil, nil), http.StatusOK)
	wantError(t, st.do(t, "GET", "/access/api/v1/tokens/me", other.AccessToken, nil, nil), http.StatusUnauthorized)
	// The admin token is not revocable.
	wantError(t, st.do(t, "DELETE", "/access/api/v1/tokens/me", st.s.AdminToken(), nil, nil), http.StatusForbidden)
	wantStatus(t, st.do(t, "GET", "/access/api/v1/tokens/me", st.s.AdminToken(), nil, nil), http.StatusOK)
}

func TestExpiredAccessToken(t *testing.T) {
	st := newStack(t, t.TempDir())
	tok, _, err := st.s.issueToken("u", scopeUser, "*@*", 60, "")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, st.do(t, "GET", "/access/api/v1/tokens/me", tok, nil, nil), 200)
	st.s.skew.Store(int64(2 * time.Minute))
	if msg := wantError(t, st.do(t, "GET", "/access/api/v1/tokens/me", tok, nil, nil), 401); msg != msgExpired {
		t.Fatalf("message %q, want %q", msg, msgExpired)
	}
}

func TestRootCertVerifiesTokens(t *testing.T) {
	st := newStack(t, t.TempDir())
	r := st.do(t, "GET", "/access/api/v1/cert/root", "", nil, nil)
	wantStatus(t, r, 200)
	der, err := base64.StdEncoding.DecodeString(string(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(st.s.AdminToken(), func(*jwt.Token) (any, error) { return cert.PublicKey, nil }); err != nil {
		t.Fatalf("admin token does not verify with the root certificate: %v", err)
	}
}

func TestCreateToken(t *testing.T) {
	is := newTestIssuer(t)
	st := newStack(t, t.TempDir())
	user := st.userToken(t, is)
	admin := st.s.AdminToken()
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	tests := []struct {
		name, token, ctype, body string
		status                   int
		wantSub                  string
		wantExpiry               int64
	}{
		{"admin for another user (JSON)", admin, "application/json", `{"username":"ci","scope":"applied-permissions/user","expires_in":600}`, 200, "/users/ci", 600},
		{"admin non-expiring", admin, "application/json", `{"username":"ci","expires_in":0}`, 200, "/users/ci", 0},
		{"user short token for itself (form, like frogml)", user, "application/x-www-form-urlencoded", "expires_in=3000&scope=applied-permissions/user", 200, "/users/rotator", 3000},
		{"user for someone else", user, "application/json", `{"username":"ci"}`, 403, "", 0},
		{"user asking for admin", user, "application/json", `{"scope":"applied-permissions/admin"}`, 403, "", 0},
		{"user non-expiring", user, "application/json", `{"expires_in":0}`, 403, "", 0},
		{"bad scope", admin, "application/json", `{"scope":"all"}`, 400, "", 0},
		{"refresh grant", admin, "application/json", `{"grant_type":"refresh_token"}`, 400, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form["Content-Type"] = tc.ctype
			r := st.do(t, "POST", "/access/api/v1/tokens", tc.token, strings.NewReader(tc.body), form)
			if tc.status != 200 {
				wantError(t, r, tc.status)
				return
			}
			wantStatus(t, r, 200)
			var out struct {
				TokenID     string `json:"token_id"`
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
			}
			r.json(t, &out)
			var me tokenInfo
			st.do(t, "GET", "/access/api/v1/tokens/me", out.AccessToken, nil, nil).json(t, &me)
			if me.TokenID != out.TokenID || !strings.HasSuffix(me.Subject, tc.wantSub) || out.TokenType != "access_token" {
				t.Fatalf("created %+v, me %+v", out, me)
			}
			if got := me.Expiry; (tc.wantExpiry == 0 && got != 0) || (tc.wantExpiry != 0 && got-me.IssuedAt != tc.wantExpiry) {
				t.Fatalf("expiry %d (issued %d), want lifetime %d", got, me.IssuedAt, tc.wantExpiry)
			}
		})
	}
}

func TestRevokeByValue(t *testing.T) {
	st := newStack(t, t.TempDir())
	admin := st.s.AdminToken()
	tok, jti, err := st.s.issueToken("ci", scopeUser, "*@*", 600, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token, body string
		status            int
	}{
		{"user may not", tok, `{"token":"` + tok + `"}`, 403},
		{"foreign token", admin, `{"token":"a.b.c"}`, 400},
		{"no token", admin, `{}`, 400},
		{"admin revokes", admin, `{"token":"` + tok + `"}`, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := st.do(t, "DELETE", "/access/api/v1/tokens/revoke", tc.token, strings.NewReader(tc.body), map[string]string{"Content-Type": "application/json"})
			if tc.status != 200 {
				wantError(t, r, tc.status)
				return
			}
			wantStatus(t, r, 200)
			if !strings.Contains(string(r.Body), `"revoked-token-id": "`+jti+`"`) {
				t.Fatalf("body %s does not name %s", r.Body, jti)
			}
		})
	}
	if msg := wantError(t, st.do(t, "GET", "/access/api/v1/tokens/me", tok, nil, nil), 401); msg != msgRevoked {
		t.Fatalf("message %q", msg)
	}
}
