package keyvault

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/secret"
)

const sampleToken = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6InUifQ.c2ln"

func TestParseCredentials(t *testing.T) {
	tests := []struct {
		name, value, wantErr string
	}{
		{"ok", `{"access_token":"` + sampleToken + `","username":"alice"}`, ""},
		{"extra fields", ` {"access_token":"t0k3n","username":"alice","note":1} `, ""},
		{"empty", ``, "value is empty"},
		{"not object", `"t0k3n-SECRETVALUE"`, "not a JSON object"},
		{"syntax", `{"access_token":"t0k3n-SECRETVALUE",}`, "syntax error at byte"},
		{"trailing", `{"access_token":"t0k3n-SECRETVALUE","username":"a"} {}`, "trailing data"},
		{"missing token", `{"username":"alice"}`, "access_token is missing"},
		{"missing user", `{"access_token":"t0k3n-SECRETVALUE"}`, "username is missing"},
		{"wrong type", `{"access_token":["t0k3n-SECRETVALUE"],"username":"a"}`, "access_token is not a string"},
		{"blank token", `{"access_token":"  ","username":"a"}`, "access_token is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCredentials("my-secret", tc.value)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.AccessToken.IsZero() || c.Username != "alice" || c.Name != "my-secret" {
					t.Errorf("got %+v", c)
				}
				return
			}
			if !errors.Is(err, ErrMalformedSecret) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), `"my-secret"`) {
				t.Fatalf("err = %v, want %q naming the secret", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "SECRETVALUE") {
				t.Errorf("error quotes the value: %v", err)
			}
		})
	}
}

func TestCredentialsCheckAndExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	tests := []struct {
		name    string
		exp     *time.Time
		expired bool
	}{{"no expiry", nil, false}, {"future", &future, false}, {"past", &past, true}, {"exactly now", &now, true}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Credentials{Properties: Properties{Name: "s", ExpiresOn: tc.exp}}
			if err := c.Check(now); errors.Is(err, ErrExpired) != tc.expired {
				t.Errorf("Check = %v, want expired=%v", err, tc.expired)
			}
		})
	}
	if e := tokenExpiry(secret.Token(sampleToken)); e == nil || e.Unix() != 4102444800 {
		t.Errorf("tokenExpiry = %v", e)
	}
	if e := tokenExpiry("opaque"); e != nil {
		t.Errorf("tokenExpiry(opaque) = %v", e)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	v, err := EncodeCredentials(sampleToken, "bob")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCredentials("s", v)
	if err != nil || c.AccessToken.Reveal() != sampleToken || c.Username != "bob" {
		t.Fatalf("round trip: %+v %v", c, err)
	}
	if _, err := EncodeCredentials("", "bob"); err == nil {
		t.Error("empty token encoded")
	}
}

// leakMarker stands for a secret inside fuzzed values.
const leakMarker = "Zq7LeakMarker"

func FuzzParseCredentials(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"a","username":"b"}`, `{"access_token":1}`, `{`, `[]`, ``, `{"username":"b"} x`,
		`{"access_token":"a","username":"b","access_token":"c"}`, "{\"access_token\":\"\\u0000\",\"username\":\"b\"}",
		`{"access_token":"` + leakMarker + `",}`, leakMarker, `{"access_token":` + leakMarker + `}`, `{"username":"` + leakMarker + `"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		c, err := ParseCredentials("s", value)
		if err != nil {
			if !errors.Is(err, ErrMalformedSecret) {
				t.Fatalf("error without sentinel: %v", err)
			}
			// The marker never occurs in our messages, so seeing it means
			// part of the value leaked.
			if strings.Contains(value, leakMarker) && strings.Contains(err.Error(), leakMarker) {
				t.Fatalf("error quotes the value: %v", err)
			}
			return
		}
		if strings.TrimSpace(c.AccessToken.Reveal()) == "" || strings.TrimSpace(c.Username) == "" {
			t.Fatalf("accepted empty fields: %q", value)
		}
		back, err := EncodeCredentials(c.AccessToken, c.Username)
		if err != nil {
			t.Fatal(err)
		}
		if c2, err := ParseCredentials("s", back); err != nil || c2.AccessToken != c.AccessToken || c2.Username != c.Username {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}
