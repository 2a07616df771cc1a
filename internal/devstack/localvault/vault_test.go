package localvault

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/frogbridge/frogbridge/internal/devstack/entra"
)

func TestSecretsLifecycle(t *testing.T) {
	e := startEnv(t, "")
	ctx := context.Background()
	w := e.client(t, e.writer, nil)
	exp := time.Now().Add(4 * time.Hour).Truncate(time.Second)

	first, err := w.SetSecret(ctx, "jfrog-token", azsecrets.SetSecretParameters{Value: to.Ptr("v1")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := w.SetSecret(ctx, "jfrog-token", azsecrets.SetSecretParameters{
		Value: to.Ptr("v2"), ContentType: to.Ptr("application/jwt"),
		Tags:             map[string]*string{"jti": to.Ptr("abc")},
		SecretAttributes: &azsecrets.SecretAttributes{Expires: &exp},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID.Version() == second.ID.Version() || first.ID.Name() != "jfrog-token" {
		t.Fatalf("versions %q and %q", first.ID.Version(), second.ID.Version())
	}

	t.Run("get latest", func(t *testing.T) {
		got, err := w.GetSecret(ctx, "jfrog-token", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if *got.Value != "v2" || *got.ContentType != "application/jwt" || *got.Tags["jti"] != "abc" ||
			!got.Attributes.Expires.Equal(exp) || !*got.Attributes.Enabled || got.ID.Version() != second.ID.Version() {
			t.Errorf("latest = %+v", got.Secret)
		}
		if !strings.HasPrefix(string(*got.ID), e.vaultURL+"/secrets/jfrog-token/") {
			t.Errorf("id %s is not under the vault URL", *got.ID)
		}
	})
	t.Run("get by version", func(t *testing.T) {
		got, err := w.GetSecret(ctx, "jfrog-token", first.ID.Version(), nil)
		if err != nil || *got.Value != "v1" {
			t.Fatalf("got %v, %v", got.Value, err)
		}
	})
	t.Run("list versions", func(t *testing.T) {
		var versions []string
		pager := w.NewListSecretPropertiesVersionsPager("jfrog-token", nil)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Value {
				if p.Attributes.Created == nil {
					t.Error("version without created time")
				}
				versions = append(versions, p.ID.Version())
			}
		}
		if strings.Join(versions, ",") != first.ID.Version()+","+second.ID.Version() {
			t.Errorf("versions = %v", versions)
		}
	})
	t.Run("list secrets", func(t *testing.T) {
		pager := w.NewListSecretPropertiesPager(nil)
		page, err := pager.NextPage(ctx)
		if err != nil || len(page.Value) != 1 || page.Value[0].ID.Name() != "jfrog-token" {
			t.Fatalf("list = %+v, %v", page.Value, err)
		}
	})
	t.Run("update attributes disables a version", func(t *testing.T) {
		upd, err := w.UpdateSecretProperties(ctx, "jfrog-token", first.ID.Version(), azsecrets.UpdateSecretPropertiesParameters{
			SecretAttributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(false)},
			Tags:             map[string]*string{"state": to.Ptr("revoked")},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if upd.Value != nil || *upd.Attributes.Enabled || *upd.Tags["state"] != "revoked" {
			t.Errorf("update answered %+v", upd.Secret)
		}
		_, err = w.GetSecret(ctx, "jfrog-token", first.ID.Version(), nil)
		assertCode(t, err, http.StatusForbidden, "Forbidden")
	})
	t.Run("missing secret", func(t *testing.T) {
		_, err := w.GetSecret(ctx, "nope", "", nil)
		assertCode(t, err, http.StatusNotFound, "SecretNotFound")
		_, err = w.GetSecret(ctx, "jfrog-token", "0123456789abcdef0123456789abcdef", nil)
		assertCode(t, err, http.StatusNotFound, "SecretNotFound")
	})
	t.Run("invalid name", func(t *testing.T) {
		_, err := w.SetSecret(ctx, "bad_name", azsecrets.SetSecretParameters{Value: to.Ptr("x")}, nil)
		assertCode(t, err, http.StatusBadRequest, "BadParameter")
	})
	t.Run("delete recover purge", func(t *testing.T) {
		if _, err := w.SetSecret(ctx, "temp", azsecrets.SetSecretParameters{Value: to.Ptr("t")}, nil); err != nil {
			t.Fatal(err)
		}
		del, err := w.DeleteSecret(ctx, "temp", nil)
		if err != nil || del.RecoveryID == nil || del.DeletedDate == nil {
			t.Fatalf("delete = %+v, %v", del, err)
		}
		_, err = w.GetSecret(ctx, "temp", "", nil)
		assertCode(t, err, http.StatusNotFound, "SecretNotFound")
		_, err = w.SetSecret(ctx, "temp", azsecrets.SetSecretParameters{Value: to.Ptr("t2")}, nil)
		assertCode(t, err, http.StatusConflict, "Conflict")
		if _, err := w.RecoverDeletedSecret(ctx, "temp", nil); err != nil {
			t.Fatal(err)
		}
		if got, err := w.GetSecret(ctx, "temp", "", nil); err != nil || *got.Value != "t" {
			t.Fatalf("after recover: %v, %v", got.Value, err)
		}
		if _, err := w.DeleteSecret(ctx, "temp", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := w.PurgeDeletedSecret(ctx, "temp", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := w.SetSecret(ctx, "temp", azsecrets.SetSecretParameters{Value: to.Ptr("t3")}, nil); err != nil {
			t.Errorf("set after purge: %v", err)
		}
	})
}

func TestRBAC(t *testing.T) {
	e := startEnv(t, "")
	ctx := context.Background()
	if _, err := e.client(t, e.writer, nil).SetSecret(ctx, "shared", azsecrets.SetSecretParameters{Value: to.Ptr("s")}, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		id       entra.Identity
		write    bool
		wantCode string
		wantRole string
	}{
		{"officer writes", e.writer, true, "", ""},
		{"user reads", e.reader, false, "", ""},
		{"user writes", e.reader, true, "Forbidden", RoleSecretsOfficer},
		{"nobody reads", e.nobody, false, "Forbidden", RoleSecretsUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client(t, tt.id, nil)
			var err error
			if tt.write {
				_, err = c.SetSecret(ctx, "shared", azsecrets.SetSecretParameters{Value: to.Ptr("new")}, nil)
			} else {
				_, err = c.GetSecret(ctx, "shared", "", nil)
			}
			if tt.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			re := assertCode(t, err, http.StatusForbidden, tt.wantCode)
			if re != nil && (!strings.Contains(re.Error(), tt.wantRole) || !strings.Contains(re.Error(), tt.id.ObjectID)) {
				t.Errorf("403 does not name role %q and object id %s: %v", tt.wantRole, tt.id.ObjectID, re)
			}
		})
	}
}

// recorder counts the requests azsecrets sends and whether they carried a
// token and a body.
type recorder struct {
	mu   sync.Mutex
	next *http.Client
	log  []string
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	auth := "anon"
	if req.Header.Get("Authorization") != "" {
		auth = "bearer"
	}
	body := "nobody"
	if req.Body != nil && req.ContentLength != 0 {
		body = "body"
	}
	resp, err := r.next.Do(req)
	if err == nil {
		r.mu.Lock()
		r.log = append(r.log, req.Method+" "+auth+" "+body+" "+resp.Status[:3])
		r.mu.Unlock()
	}
	return resp, err
}

func TestChallengeFlow(t *testing.T) {
	e := startEnv(t, "")
	rec := &recorder{next: e.ca.HTTPClient(10 * time.Second)}
	c, err := azsecrets.NewClient(e.vaultURL, credFor(t, e.writer), &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: rec},
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetSecret(context.Background(), "challenged", azsecrets.SetSecretParameters{Value: to.Ptr("x")}, nil); err != nil {
		t.Fatal(err)
	}
	want := "PUT anon nobody 401,PUT bearer body 200"
	if got := strings.Join(rec.log, ","); got != want {
		t.Errorf("requests = %s, want %s", got, want)
	}

	t.Run("challenge header", func(t *testing.T) {
		resp, err := e.ca.HTTPClient(5 * time.Second).Get(e.vaultURL + "/secrets/challenged?api-version=7.5")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		wantHdr := `Bearer authorization="` + e.issuerURL + "/" + e.tenant.TenantID() + `", resource="https://vault.azure.net"`
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != wantHdr || !strings.Contains(string(b), `"Unauthorized"`) {
			t.Errorf("got %d %q %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), b)
		}
	})
	t.Run("default verification refuses loopback", func(t *testing.T) {
		strict, err := azsecrets.NewClient(e.vaultURL, credFor(t, e.writer), &azsecrets.ClientOptions{
			ClientOptions: azcore.ClientOptions{Transport: e.ca.HTTPClient(5 * time.Second)},
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = strict.GetSecret(context.Background(), "challenged", "", nil)
		if err == nil || !strings.Contains(err.Error(), "DisableChallengeResourceVerification") {
			t.Errorf("error = %v, want the resource verification failure", err)
		}
	})
}

func TestTokenVerification(t *testing.T) {
	e := startEnv(t, "")
	storageTok, _, err := e.tenant.Issue(e.writer, "https://storage.azure.com")
	if err != nil {
		t.Fatal(err)
	}
	vaultTok, _, err := e.tenant.Issue(e.writer, Resource)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		auth       string
		wantStatus int
		wantMsg    string
	}{
		{"no token", "", 401, "AKV10000"},
		{"basic auth", "Basic dXNlcjpwYXNz", 401, "AKV10000"},
		{"wrong audience", "Bearer " + storageTok, 401, "AKV10022"},
		{"garbage", "Bearer not.a.jwt", 401, "AKV10032"},
		{"good token", "Bearer " + vaultTok, 404, "SecretNotFound"},
	}
	client := e.ca.HTTPClient(5 * time.Second)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.vaultURL+"/secrets/missing?api-version=2026-04-01", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(b), tt.wantMsg) {
				t.Errorf("got %d %s, want %d mentioning %s", resp.StatusCode, b, tt.wantStatus, tt.wantMsg)
			}
			if tt.wantStatus == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without a challenge")
			}
		})
	}
}

func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	e := startEnv(t, dir)
	ctx := context.Background()
	set, err := e.client(t, e.writer, nil).SetSecret(ctx, "persisted", azsecrets.SetSecretParameters{Value: to.Ptr("kept")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	writer := e.writer
	e.close()

	again := startEnv(t, dir)
	if again.writer.ObjectID != writer.ObjectID {
		t.Fatal("identities changed across restarts")
	}
	got, err := again.client(t, again.writer, nil).GetSecret(ctx, "persisted", set.ID.Version(), nil)
	if err != nil || *got.Value != "kept" {
		t.Fatalf("after restart: %v, %v", got.Value, err)
	}
	if n := len(again.vault.RoleAssignments()); n != 2 {
		t.Errorf("%d role assignments after restart, want 2", n)
	}
}

func assertCode(t *testing.T, err error, status int, code string) *azcore.ResponseError {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v, want an azcore.ResponseError %d %s", err, status, code)
	}
	if re.StatusCode != status || re.ErrorCode != code {
		t.Errorf("got %d %s, want %d %s", re.StatusCode, re.ErrorCode, status, code)
	}
	return re
}
