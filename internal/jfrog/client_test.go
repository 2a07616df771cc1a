package jfrog_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/redact"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// makeJWT signs claims with a throwaway HMAC key; the client never verifies it.
func makeJWT(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("test-key-test-key-test-key-32byt"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newClient returns a client for srv with fast retries.
func newClient(t *testing.T, srv *httptest.Server) *jfrog.Client {
	t.Helper()
	c, err := jfrog.NewClient(srv.URL, &jfrog.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: srv.Client(),
		Retry:     policy.RetryOptions{RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 3 * time.Second},
	}, SettingNames: testSettings})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testSettings are the setting names the tests' clients put in their hints.
var testSettings = jfrog.SettingNames{PlatformURL: "TEST_PLATFORM_URL", OIDCProvider: "TEST_PROVIDER", Audience: "TEST_AUDIENCE", MLRepo: "TEST_ML_REPO"}

const subject = "eyJhbGciOiJSUzI1NiJ9.ZW50cmEtc3ViamVjdA.ZW50cmEtc2ln"

func TestExchange(t *testing.T) {
	access := makeJWT(t, jwt.MapClaims{"sub": "jfac@01abc/users/ci-user", "jti": "tok-123", "iat": 1000, "exp": 1000 + 14400})
	tests := []struct {
		name      string
		reply     string
		wantUser  string
		wantTTL   time.Duration
		wantScope string
	}{
		{"full", fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer","expires_in":3600,"scope":"applied-permissions/user","username":"alice"}`, access),
			"alice", time.Hour, "applied-permissions/user"},
		{"from claims", fmt.Sprintf(`{"access_token":%q}`, access), "ci-user", 4 * time.Hour, ""},
		{"string expires_in", fmt.Sprintf(`{"access_token":%q,"expires_in":"60","username":"bob"}`, access), "bob", time.Minute, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got map[string]string
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/access/api/v1/oidc/token" {
					http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
					return
				}
				if h := r.Header.Get("Authorization"); h != "" {
					http.Error(w, "authorization header sent", http.StatusTeapot)
					return
				}
				if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
					http.Error(w, err.Error(), http.StatusTeapot)
					return
				}
				_, _ = io.WriteString(w, tc.reply)
			}))
			defer srv.Close()
			res, err := newClient(t, srv).Exchange(context.Background(), secret.Token(subject), "azure-oidc", nil)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"grant_type":         "urn:ietf:params:oauth:grant-type:token-exchange",
				"subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
				"subject_token":      subject,
				"provider_name":      "azure-oidc",
				"provider_type":      "Azure",
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("request %s = %q, want %q", k, got[k], v)
				}
			}
			if res.AccessToken.Reveal() != access {
				t.Error("access token not returned")
			}
			if res.TokenID != "tok-123" || res.Username != tc.wantUser || res.ExpiresIn != tc.wantTTL || res.Scope != tc.wantScope {
				t.Errorf("got id=%q user=%q ttl=%v scope=%q", res.TokenID, res.Username, res.ExpiresIn, res.Scope)
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	leaked := makeJWT(t, jwt.MapClaims{"sub": "leak", "jti": "leak-id"})
	tests := []struct {
		name     string
		status   int
		body     string
		sentinel error
		contains []string
	}{
		{"400", 400, `{"errors":[{"status":400,"message":"Provider type is invalid"}]}`, upstream.ErrBadRequest,
			[]string{"400", "Provider type is invalid", "azure-oidc"}},
		{"401", 401, `{"errors":[{"status":401,"message":"Bad credentials"}]}`, upstream.ErrUnauthorized,
			[]string{"401", "Bad credentials", "issuer_url", "TEST_AUDIENCE"}},
		{"403 echoes token", 403, `{"errors":[{"status":403,"message":"no mapping for ` + leaked + `"}]}`, upstream.ErrForbidden,
			[]string{"403", "identity mapping", redact.Marker}},
		{"404 code form", 404, `{"code":"NOT_FOUND","message":"Provider not found"}`, upstream.ErrNotFound,
			[]string{"404", "NOT_FOUND", "TEST_PROVIDER", "TEST_PLATFORM_URL"}},
		{"non-JSON body dropped", 418, "raw upstream text " + leaked, nil, []string{"418"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			_, err := newClient(t, srv).Exchange(context.Background(), secret.Token(subject), "azure-oidc", nil)
			if err == nil {
				t.Fatal("want error")
			}
			var re *upstream.ResponseError
			if !errors.As(err, &re) || re.StatusCode != tc.status {
				t.Fatalf("want *upstream.ResponseError with status %d, got %T %v", tc.status, err, err)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(%v) = false", tc.sentinel)
			}
			if errors.Is(err, upstream.ErrUnavailable) {
				t.Error("4xx matched upstream.ErrUnavailable")
			}
			msg := err.Error()
			for _, want := range append(tc.contains, srv.URL, "/access/api/v1/oidc/token") {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			for _, bad := range []string{leaked, subject, "raw upstream text"} {
				if strings.Contains(msg, bad) {
					t.Errorf("error contains %q", bad)
				}
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("4xx sent %d times, want 1 (no retry)", n)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	access := makeJWT(t, jwt.MapClaims{"sub": "jfrt@x/users/u", "jti": "j1"})
	tests := []struct {
		name      string
		failures  []int // statuses returned before success
		retryHdr  string
		wantCalls int32
		wantErr   error
		minWait   time.Duration
	}{
		{"429 retry-after", []int{429}, "1", 2, nil, 900 * time.Millisecond},
		{"500 then ok", []int{500, 503}, "", 3, nil, 0},
		{"400 not retried", []int{400}, "", 1, upstream.ErrBadRequest, 0},
		{"5xx exhausted", []int{500, 500, 500, 500, 500}, "", 4, upstream.ErrUnavailable, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				n := int(calls.Add(1))
				if n <= len(tc.failures) {
					if tc.retryHdr != "" {
						w.Header().Set("Retry-After", tc.retryHdr)
					}
					w.WriteHeader(tc.failures[n-1])
					return
				}
				fmt.Fprintf(w, `{"access_token":%q}`, access)
			}))
			defer srv.Close()
			start := time.Now()
			_, err := newClient(t, srv).Exchange(context.Background(), secret.Token(subject), "p", nil)
			if tc.wantErr == nil && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("calls = %d, want %d", got, tc.wantCalls)
			}
			if el := time.Since(start); el < tc.minWait {
				t.Errorf("finished after %v, Retry-After not honoured", el)
			}
		})
	}
}

func TestDeadlineAndDroppedConnection(t *testing.T) {
	t.Run("stall past deadline", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := newClient(t, srv).Me(ctx, secret.Token(subject))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
	})
	t.Run("connection drop", func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Error("no hijacker")
				return
			}
			conn, _, _ := hj.Hijack()
			_ = conn.Close()
		}))
		defer srv.Close()
		_, err := newClient(t, srv).Me(context.Background(), secret.Token(subject))
		if !errors.Is(err, upstream.ErrUnavailable) {
			t.Fatalf("err = %v, want upstream.ErrUnavailable", err)
		}
		if calls.Load() < 2 {
			t.Errorf("dropped connection not retried (%d calls)", calls.Load())
		}
		if strings.Contains(err.Error(), subject) {
			t.Error("error contains the token")
		}
	})
}

func TestMeAndRevoke(t *testing.T) {
	tok := secret.Token(subject)
	var deleted []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+subject {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errors":[{"status":401,"message":"Token failed verification: expired"}]}`)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/access/api/v1/tokens/me":
			_, _ = io.WriteString(w, `{"token_id":"t-1","subject":"jfac@01/users/alice","issuer":"jfac@01","expiry":1700003600,"issued_at":"1700000000","refreshable":false}`)
		case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/access/api/v1/tokens/"):
			id := strings.TrimPrefix(r.URL.Path, "/access/api/v1/tokens/")
			deleted = append(deleted, id)
			if id == "gone" {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if id == "other" {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	c := newClient(t, srv)
	ctx := context.Background()

	info, err := c.Me(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if info.TokenID != "t-1" || info.Username != "alice" || info.ExpiresOn.Unix() != 1700003600 || info.IssuedAt.Unix() != 1700000000 {
		t.Errorf("info = %+v", info)
	}
	_, err = c.Me(ctx, secret.Token("eyJhbGciOiJIUzI1NiJ9.b3RoZXI.c2lnbmF0dXJl"))
	if !errors.Is(err, upstream.ErrUnauthorized) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("Me with a bad token: %v", err)
	}

	tests := []struct {
		id      string
		revoked bool
		wantErr error
	}{{"t-1", true, nil}, {"gone", false, nil}, {"other", false, upstream.ErrForbidden}}
	for _, tc := range tests {
		t.Run("revoke "+tc.id, func(t *testing.T) {
			revoked, err := c.Revoke(ctx, tok, tc.id)
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("Revoke(%s) = %v, want %v", tc.id, err, tc.wantErr)
			}
			if revoked != tc.revoked {
				t.Errorf("Revoke(%s) revoked = %v, want %v (only a 200 revokes)", tc.id, revoked, tc.revoked)
			}
		})
	}
	if strings.Join(deleted, ",") != "t-1,gone,other" {
		t.Errorf("deleted = %v", deleted)
	}
}

func TestNewClientURL(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://acme.jfrog.io", "https://acme.jfrog.io", true},
		{"https://acme.jfrog.io/artifactory/", "https://acme.jfrog.io", true},
		{"https://127.0.0.1:8443/", "https://127.0.0.1:8443", true},
		{"http://127.0.0.1:8081", "http://127.0.0.1:8081", true},
		{"http://acme.jfrog.io", "", false},
		{"acme.jfrog.io", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			c, err := jfrog.NewClient(tc.in, nil)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && c.BaseURL() != tc.want {
				t.Errorf("BaseURL = %q, want %q", c.BaseURL(), tc.want)
			}
		})
	}
}

// TestHintsNameTheCallersSettings: hints use the caller's setting names,
// and neutral words when it gave none.
func TestHintsNameTheCallersSettings(t *testing.T) {
	for _, tc := range []struct {
		names jfrog.SettingNames
		want  string
	}{
		{jfrog.SettingNames{}, "set the platform URL to the platform root"},
		{jfrog.SettingNames{PlatformURL: "ARTIFACTORY_HOST"}, "set ARTIFACTORY_HOST to the platform root"},
	} {
		_, err := jfrog.NewClient("acme.jfrog.io", &jfrog.ClientOptions{SettingNames: tc.names})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("names %+v: %v, want %q", tc.names, err, tc.want)
		}
	}
}

// The exchange options are sent under JFrog's field names
// (../shared/reference/jfrog.md §1 request body), and left out when unset.
func TestExchangeOptionsSent(t *testing.T) {
	access := makeJWT(t, jwt.MapClaims{"sub": "jfac@01abc/users/ci-user", "jti": "tok-1"})
	var bodies []map[string]any
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var got map[string]any
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			http.Error(w, err.Error(), http.StatusTeapot)
			return
		}
		bodies = append(bodies, got)
		_, _ = fmt.Fprintf(w, `{"access_token":%q}`, access)
	}))
	defer srv.Close()
	c := newClient(t, srv)
	opts := &jfrog.ExchangeOptions{IdentityMappingName: "docker", ProjectKey: "ml", Scope: "applied-permissions/user", Audience: "jfrt@*", IncludeReferenceToken: true}
	if _, err := c.Exchange(context.Background(), secret.Token(subject), "azure-oidc", opts); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exchange(context.Background(), secret.Token(subject), "azure-oidc", nil); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"identity_mapping_name": "docker", "project_key": "ml", "scope": "applied-permissions/user", "audience": "jfrt@*", "include_reference_token": true}
	for k, v := range want {
		if bodies[0][k] != v {
			t.Errorf("%s = %v, want %v", k, bodies[0][k], v)
		}
		if _, sent := bodies[1][k]; sent {
			t.Errorf("%s sent without the option", k)
		}
	}
}
