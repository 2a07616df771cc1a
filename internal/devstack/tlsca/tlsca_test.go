package tlsca

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

func TestEnsureServesTrustedTLS(t *testing.T) {
	ca, err := Ensure(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	srv.TLS = ca.ServerTLSConfig()
	srv.StartTLS()
	defer srv.Close()

	tests := []struct {
		name    string
		client  *http.Client
		wantErr bool
	}{
		{"devstack CA trusted", ca.HTTPClient(5 * time.Second), false},
		{"system roots only", &http.Client{Timeout: 5 * time.Second}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.client.Get(srv.URL)
			if (err != nil) != tt.wantErr {
				t.Fatalf("GET error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				resp.Body.Close()
			}
		})
	}
}

func TestEnsureReusesState(t *testing.T) {
	dir := t.TempDir()
	first, err := Ensure(dir)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(first.CertFile())
	serverPEM, _ := os.ReadFile(first.ServerCertFile())
	second, err := Ensure(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name, path string
		want       []byte
	}{
		{"ca", second.CertFile(), caPEM},
		{"server", second.ServerCertFile(), serverPEM},
	} {
		t.Run(f.name, func(t *testing.T) {
			got, err := os.ReadFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, f.want) {
				t.Errorf("%s changed on the second start", f.path)
			}
		})
	}
	bundle, err := os.ReadFile(second.BundleFile())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(bundle, caPEM) {
		t.Error("bundle does not start with the devstack CA")
	}
}

func TestEnsureRejectsMismatchedKey(t *testing.T) {
	dir := t.TempDir()
	if _, err := Ensure(dir); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if _, err := Ensure(other); err != nil {
		t.Fatal(err)
	}
	key, _ := os.ReadFile(other + "/" + caKeyName)
	if err := os.WriteFile(dir+"/"+caKeyName, key, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(dir); err == nil {
		t.Fatal("Ensure accepted a CA key that does not match the certificate")
	}
}
