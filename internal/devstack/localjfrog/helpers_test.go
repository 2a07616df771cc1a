package localjfrog

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rs/zerolog"
)

// testIssuer is an OIDC identity provider: discovery and JWKS over TLS.
type testIssuer struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	kid    string
	URL    string // issuer URL
	served atomic.Int64
}

func newTestIssuer(t testing.TB) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &testIssuer{key: key, kid: "test-kid-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tenant/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": is.URL, "jwks_uri": is.srv.URL + "/tenant/discovery/v2.0/keys"})
	})
	mux.HandleFunc("GET /tenant/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
		is.served.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "use": "sig", "kid": is.kid,
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	is.srv = httptest.NewTLSServer(mux)
	t.Cleanup(is.srv.Close)
	is.URL = is.srv.URL + "/tenant/v2.0"
	return is
}

// token signs claims with the issuer's key; exp/iat/nbf default to now.
func (is *testIssuer) token(t testing.TB, claims jwt.MapClaims) string {
	return signToken(t, is.key, is.kid, claims)
}

func signToken(t testing.TB, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	now := time.Now()
	full := jwt.MapClaims{"iat": now.Unix(), "nbf": now.Add(-5 * time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		full[k] = v
		if v == nil {
			delete(full, k)
		}
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, full)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stack is a Server behind a TLS test server.
type stack struct {
	srv    *httptest.Server
	s      *Server
	client *http.Client
	dir    string
	base   string
}

// swapHandler lets a test server start before the Server that needs its URL.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

func newStack(t testing.TB, dir string) *stack {
	t.Helper()
	// The listener exists before the server starts, so New gets the final URL.
	srv := httptest.NewUnstartedServer(nil)
	base := "https://" + srv.Listener.Addr().String()
	pool := x509.NewCertPool()
	pool.AddCert(testCert(t))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 2 * time.Minute}
	// Most tests mint short tokens and revoke them: their stack stores and
	// revokes every token. thresholds_test.go covers JFrog's defaults.
	s, err := New(Options{DataDir: dir, BaseURL: base, HTTPClient: client, Logger: zerolog.Nop(),
		RevocableExpiryThreshold: time.Nanosecond, PersistentExpiryThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &stack{srv: srv, s: s, client: client, dir: dir, base: base}
}

// response is a completed request.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// do sends a request with an optional bearer token and body.
func (st *stack) do(t testing.TB, method, path, token string, body io.Reader, hdr map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, st.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := st.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func (st *stack) doJSON(t testing.TB, method, path, token string, v any) response {
	t.Helper()
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	return st.do(t, method, path, token, body, map[string]string{"Content-Type": "application/json"})
}

// wantStatus fails unless r has the status; it prints the body.
func wantStatus(t testing.TB, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
}

// wantError checks JFrog's {"errors":[{status,message}]} shape.
func wantError(t testing.TB, r response, status int) string {
	t.Helper()
	wantStatus(t, r, status)
	var body struct {
		Errors []struct {
			Status  int    `json:"status"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	r.json(t, &body)
	if len(body.Errors) != 1 || body.Errors[0].Status != status || body.Errors[0].Message == "" {
		t.Fatalf("error body %s, want one error with status %d and a message", r.Body, status)
	}
	return body.Errors[0].Message
}

// provision creates an OIDC provider for the issuer, a mapping for subject
// sub with the given username and scope, and returns the provider name.
func (st *stack) provision(t testing.TB, is *testIssuer, audience string) {
	t.Helper()
	admin := st.s.AdminToken()
	wantStatus(t, st.doJSON(t, "POST", "/access/api/v1/oidc", admin, map[string]any{
		"name": "azure-oidc", "issuer_url": is.URL, "provider_type": "Azure", "audience": audience,
		"description": "test provider",
	}), http.StatusCreated)
	wantStatus(t, st.doJSON(t, "POST", "/access/api/v1/oidc/azure-oidc/identity_mappings", admin, map[string]any{
		"name": "function-app", "priority": 1,
		"claims":     map[string]any{"iss": is.URL, "sub": "func-oid"},
		"token_spec": map[string]any{"username": "rotator", "scope": "applied-permissions/user", "expires_in": 3600},
	}), http.StatusCreated)
}

// exchange trades a subject token for an access token.
func (st *stack) exchange(t testing.TB, subject string) response {
	t.Helper()
	return st.doJSON(t, "POST", "/access/api/v1/oidc/token", "", map[string]any{
		"grant_type":         grantTokenExchange,
		"subject_token_type": tokenTypeIDToken,
		"subject_token":      subject,
		"provider_name":      "azure-oidc",
		"provider_type":      "Azure",
	})
}

// userToken provisions the issuer and returns an exchanged access token.
func (st *stack) userToken(t testing.TB, is *testIssuer) string {
	t.Helper()
	st.provision(t, is, "api://jfrog")
	r := st.exchange(t, is.token(t, jwt.MapClaims{"iss": is.URL, "aud": "api://jfrog", "sub": "func-oid"}))
	wantStatus(t, r, http.StatusOK)
	var out exchangeResponse
	r.json(t, &out)
	return out.AccessToken
}

func (st *stack) createRepo(t testing.TB, key, packageType string) {
	t.Helper()
	wantStatus(t, st.doJSON(t, "PUT", "/artifactory/api/repositories/"+key, st.s.AdminToken(),
		map[string]any{"rclass": "local", "packageType": packageType}), http.StatusOK)
}

// testCert is the certificate every httptest TLS server presents.
func testCert(t testing.TB) *x509.Certificate {
	t.Helper()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	return srv.Certificate()
}
