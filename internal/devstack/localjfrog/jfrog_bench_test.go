package localjfrog

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkDeploy measures a 4 MiB deploy over TLS (hashing three digests
// and fsyncing the blob and the metadata).
func BenchmarkDeploy(b *testing.B) {
	st := newStack(b, b.TempDir())
	st.createRepo(b, "generic-local", "generic")
	tok := st.s.AdminToken()
	content := make([]byte, 4<<20)
	rand.Read(content)
	b.SetBytes(int64(len(content)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/artifactory/generic-local/f%d", st.base, i), bytes.NewReader(content))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := st.client.Do(req)
		if err != nil || resp.StatusCode != 201 {
			b.Fatalf("deploy: %v", err)
		}
		resp.Body.Close()
	}
}

// BenchmarkDownload measures a 4 MiB download over TLS.
func BenchmarkDownload(b *testing.B) {
	st := newStack(b, b.TempDir())
	st.createRepo(b, "generic-local", "generic")
	tok := st.s.AdminToken()
	content := make([]byte, 4<<20)
	rand.Read(content)
	st.do(b, "PUT", "/artifactory/generic-local/f", tok, bytes.NewReader(content), nil)
	b.SetBytes(int64(len(content)))
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("GET", st.base+"/artifactory/generic-local/f", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := st.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkExchange measures an OIDC token exchange with a cached JWKS.
func BenchmarkExchange(b *testing.B) {
	is := newTestIssuer(b)
	st := newStack(b, b.TempDir())
	st.provision(b, is, "api://jfrog")
	subject := is.token(b, jwt.MapClaims{"iss": is.URL, "aud": "api://jfrog", "sub": "func-oid"})
	b.ResetTimer()
	for b.Loop() {
		if r := st.exchange(b, subject); r.Status != 200 {
			b.Fatalf("exchange: %d", r.Status)
		}
	}
}
