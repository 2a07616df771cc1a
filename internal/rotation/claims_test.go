package rotation

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestCheckClaims(t *testing.T) {
	now := time.Now()
	const guid = "11111111-aaaa-bbbb-cccc-222222222222"
	tok := func(c jwt.MapClaims) string { return signJWT(t, c) }
	valid := func(aud any) jwt.MapClaims {
		return jwt.MapClaims{"aud": aud, "exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix(), "tid": "t", "oid": "o"}
	}
	tests := []struct {
		name, token, audience, wantErr string
	}{
		{"v2 guid vs api:// setting", tok(valid(guid)), "api://" + guid, ""},
		{"v1 api:// vs guid setting", tok(valid("api://" + guid)), guid, ""},
		{"exact", tok(valid("api://" + guid)), "api://" + guid + "/.default", ""},
		{"case and slash", tok(valid("API://" + strings.ToUpper(guid) + "/")), guid, ""},
		{"audience list", tok(valid([]string{"other", guid})), guid, ""},
		{"wrong audience", tok(valid("api://other")), guid, "AZURE_AD_TOKEN_AUDIENCE"},
		{"no audience", tok(jwt.MapClaims{"exp": now.Add(time.Hour).Unix()}), guid, "not AZURE_AD_TOKEN_AUDIENCE"},
		{"empty setting", tok(valid(guid)), " ", "set AZURE_AD_TOKEN_AUDIENCE"},
		{"expired", tok(jwt.MapClaims{"aud": guid, "exp": now.Add(-time.Minute).Unix()}), guid, "expired"},
		{"about to expire", tok(jwt.MapClaims{"aud": guid, "exp": now.Add(10 * time.Second).Unix()}), guid, "expired"},
		{"no exp", tok(jwt.MapClaims{"aud": guid}), guid, "no exp"},
		{"not yet valid", tok(jwt.MapClaims{"aud": guid, "exp": now.Add(2 * time.Hour).Unix(), "nbf": now.Add(time.Hour).Unix()}), guid, "not valid before"},
		{"two parts", "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0", guid, "well-formed"},
		{"garbage", "secret-garbage-value", guid, "well-formed"},
		{"bad json claims", "eyJhbGciOiJIUzI1NiJ9.bm90LWpzb24.c2ln", guid, "well-formed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CheckClaims(tc.token, tc.audience, now)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.ExpiresAt == nil {
					t.Error("claims not returned")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Error("error holds the token")
			}
		})
	}
}

func TestScopeFor(t *testing.T) {
	tests := map[string]string{
		"api://x":          "api://x/.default",
		"api://x/":         "api://x/.default",
		"api://x/.default": "api://x/.default",
		" guid ":           "guid/.default",
	}
	for in, want := range tests {
		if got := ScopeFor(in); got != want {
			t.Errorf("ScopeFor(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCheckClaims(f *testing.F) {
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4IiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2ln", "x")
	f.Add("a.b.c", "api://x")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, token, aud string) {
		_, err := CheckClaims(token, aud, time.Unix(1_700_000_000, 0))
		if err != nil && len(token) > 8 && strings.Contains(err.Error(), token) {
			t.Fatalf("error holds the token: %v", err)
		}
	})
}
