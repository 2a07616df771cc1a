package entra

import (
	"testing"
)

func BenchmarkIssue(b *testing.B) {
	srv, err := New(Options{DataDir: b.TempDir(), BaseURL: "https://127.0.0.1:1"})
	if err != nil {
		b.Fatal(err)
	}
	id := mustIdentity(srv.Config(), FunctionAppIdentity)
	for b.Loop() {
		if _, _, err := srv.Issue(id, "https://vault.azure.net"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAccessToken(b *testing.B) {
	srv, err := New(Options{DataDir: b.TempDir(), BaseURL: "https://127.0.0.1:1"})
	if err != nil {
		b.Fatal(err)
	}
	tok, _, err := srv.Issue(mustIdentity(srv.Config(), FunctionAppIdentity), "https://vault.azure.net")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := srv.VerifyAccessToken(tok, "https://vault.azure.net"); err != nil {
			b.Fatal(err)
		}
	}
}
