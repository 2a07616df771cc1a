package keyvault_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

const (
	kvAccessToken = "kv-access-token-value"
	tenantID      = "11111111-2222-3333-4444-555555555555"
)

// fakeCred is an azcore.TokenCredential handing out a fixed token.
type fakeCred struct {
	mu   sync.Mutex
	reqs []policy.TokenRequestOptions
	err  error
}

func (c *fakeCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, o)
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	return azcore.AccessToken{Token: kvAccessToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

type storedVersion struct {
	ID          string            `json:"id"`
	Value       string            `json:"value"`
	ContentType string            `json:"contentType,omitempty"`
	Attributes  map[string]any    `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// fakeVault is a minimal Key Vault secrets endpoint with challenge auth.
type fakeVault struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	data   map[string][]storedVersion
	calls  int
	unauth int      // requests answered with the challenge
	bodies []string // PUT bodies as received after authentication
	gets   []string // paths of authenticated GETs
	fault  func(n int) (status int, body string, header http.Header)
}

func newFakeVault(t *testing.T) *fakeVault {
	fv := &fakeVault{t: t, data: map[string][]storedVersion{}}
	fv.srv = httptest.NewTLSServer(http.HandlerFunc(fv.serve))
	t.Cleanup(fv.srv.Close)
	return fv
}

func (fv *fakeVault) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fv.mu.Lock()
	defer fv.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+kvAccessToken {
		fv.unauth++
		if len(body) != 0 {
			fv.t.Errorf("unauthenticated request carried a body")
		}
		w.Header().Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/`+tenantID+`", resource="https://vault.azure.net"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	fv.calls++
	if fv.fault != nil {
		if status, b, h := fv.fault(fv.calls); status != 0 {
			for k, v := range h {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, b)
			return
		}
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "secrets" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	name := parts[1]
	switch r.Method {
	case http.MethodPut:
		fv.bodies = append(fv.bodies, string(body))
		var in struct {
			Value       string            `json:"value"`
			ContentType string            `json:"contentType"`
			Attributes  map[string]any    `json:"attributes"`
			Tags        map[string]string `json:"tags"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ver := fmt.Sprintf("%032x", len(fv.data[name])+1)
		attrs := map[string]any{"enabled": true, "created": time.Now().Unix(), "updated": time.Now().Unix(), "recoveryLevel": "Recoverable"}
		for k, v := range in.Attributes {
			attrs[k] = v
		}
		sv := storedVersion{ID: fv.srv.URL + "/secrets/" + name + "/" + ver, Value: in.Value, ContentType: in.ContentType, Attributes: attrs, Tags: in.Tags}
		fv.data[name] = append(fv.data[name], sv)
		_ = json.NewEncoder(w).Encode(sv)
	case http.MethodGet:
		fv.gets = append(fv.gets, r.URL.Path)
		vs := fv.data[name]
		if len(parts) == 3 && parts[2] == "versions" {
			if len(vs) == 0 {
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprintf(w, `{"error":{"code":"SecretNotFound","message":"A secret with (name/id) %s was not found in this key vault."}}`, name)
				return
			}
			// Attributes only, newest first: the order is not documented,
			// so the client must not rely on it.
			items := []map[string]any{}
			for i := len(vs) - 1; i >= 0; i-- {
				items = append(items, map[string]any{"id": vs[i].ID, "contentType": vs[i].ContentType, "attributes": vs[i].Attributes, "tags": vs[i].Tags})
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"value": items, "nextLink": nil})
			return
		}
		if len(vs) == 0 {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"error":{"code":"SecretNotFound","message":"A secret with (name/id) %s was not found in this key vault."}}`, name)
			return
		}
		_ = json.NewEncoder(w).Encode(vs[len(vs)-1])
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// put stores a raw value directly, as an operator would.
func (fv *fakeVault) put(name, value string, attrs map[string]any) {
	fv.mu.Lock()
	defer fv.mu.Unlock()
	ver := fmt.Sprintf("%032x", len(fv.data[name])+1)
	a := map[string]any{"enabled": true, "created": time.Now().Unix(), "updated": time.Now().Unix()}
	for k, v := range attrs {
		a[k] = v
	}
	fv.data[name] = append(fv.data[name], storedVersion{ID: fv.srv.URL + "/secrets/" + name + "/" + ver, Value: value, Attributes: a})
}
