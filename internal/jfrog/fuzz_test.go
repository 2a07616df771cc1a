package jfrog

import (
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/redact"
)

func FuzzParseExchangeResponse(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqZmFjQHgvdXNlcnMvYSIsImp0aSI6ImoifQ.c2ln","expires_in":3600}`,
		`{"access_token":"opaque","expires_in":"60","username":"u"}`,
		`{"access_token":""}`, `{"expires_in":-1}`, `null`, `[]`, `{"access_token":"a","expires_in":1e99}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := ParseExchangeResponse(body)
		if err != nil {
			if res.AccessToken != "" {
				t.Fatal("token returned with an error")
			}
			return
		}
		if res.AccessToken.IsZero() || res.ExpiresIn < 0 {
			t.Fatalf("accepted %+v", res)
		}
	})
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"errors":[{"status":401,"message":"Bad credentials"}]}`,
		`{"code":"FORBIDDEN","message":"m","detail":"d"}`,
		`{"errors":[{"code":7,"message":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlMQ"}]}`,
		`not json`, `{"error":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, msg := parseErrorBody(body)
		if len(msg) > maxMessage+len("…") || len(code) > 40+len("…") {
			t.Fatalf("unbounded: %d %d", len(code), len(msg))
		}
		if redact.Upstream(msg) != msg || redact.Upstream(code) != code {
			t.Fatalf("credential-shaped text survived: %q %q", code, msg)
		}
		if strings.ContainsAny(msg, "\n\r\x00") {
			t.Fatalf("control characters survived: %q", msg)
		}
	})
}

func FuzzParseTokenInfo(f *testing.F) {
	for _, s := range []string{
		`{"token_id":"t","subject":"jfac@x/users/a","expiry":1700000000,"issued_at":"1699990000"}`,
		`{"expiry":"2026-01-01T00:00:00Z"}`, `{"expiry":1700000000000}`, `{"expiry":-5}`, `{}`, `x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		info, err := ParseTokenInfo(body)
		if err == nil && !info.ExpiresOn.IsZero() && info.ExpiresOn.Unix() < 0 {
			t.Fatalf("negative expiry accepted: %v", info.ExpiresOn)
		}
	})
}

// FuzzValidateProperty: whatever ValidateProperty accepts is within frogml
// 1.2.46's limits: key and value at most 60 characters, printable ASCII
// from frogml's character sets, no newline.
func FuzzValidateProperty(f *testing.F) {
	f.Add("accuracy", "0.97")
	f.Add("list", "[1, 2.0]")
	f.Add("path", "a/b.c")
	f.Add("k", "a\n")
	f.Fuzz(func(t *testing.T, key, value string) {
		if ValidateProperty(key, value) != nil {
			return
		}
		if len(key) > 60 || len(value) > 60 || key == "" || value == "" {
			t.Fatalf("accepted %q=%q beyond frogml's 60 characters", key, value)
		}
		for _, c := range key {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-.", c)) {
				t.Fatalf("key %q has %q", key, c)
			}
		}
		for _, c := range value {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-./[], \t", c)) {
				t.Fatalf("value %q has %q", value, c)
			}
		}
	})
}
