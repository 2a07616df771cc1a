package secret_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/secret"
)

const value = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2ln-very-secret"

func TestTokenNeverPrintsValue(t *testing.T) {
	tok := secret.Token(value)
	type holder struct {
		Token secret.Token `json:"token"`
		Ptr   *secret.Token
	}
	h := holder{Token: tok, Ptr: &tok}
	cases := map[string]func() string{
		"%s":      func() string { return fmt.Sprintf("%s", tok) },
		"%v":      func() string { return fmt.Sprintf("%v", tok) },
		"%+v":     func() string { return fmt.Sprintf("%+v", h) },
		"%#v":     func() string { return fmt.Sprintf("%#v", h) },
		"%q":      func() string { return fmt.Sprintf("%q", tok) },
		"%x":      func() string { return fmt.Sprintf("%x", tok) },
		"%d":      func() string { return fmt.Sprintf("%d", tok) },
		"Println": func() string { return fmt.Sprintln(tok, &tok) },
		"json": func() string {
			b, err := json.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		},
		"zerolog": func() string {
			var buf bytes.Buffer
			log := zerolog.New(&buf)
			log.Info().Object("obj", tok).Interface("iface", h).Stringer("str", tok).Any("any", tok).Msg("m")
			return buf.String()
		},
		"slog": func() string {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "tok", tok, "h", h)
			return buf.String()
		},
		"error": func() string { return fmt.Errorf("call failed with %v", tok).Error() },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			out := f()
			if strings.Contains(out, value) || strings.Contains(out, "c2VjcmV0") {
				t.Fatalf("output contains the token: %s", out)
			}
			if !strings.Contains(out, tok.Fingerprint()) {
				t.Fatalf("output %q lacks the fingerprint %q", out, tok.Fingerprint())
			}
		})
	}
}

func TestTokenBasics(t *testing.T) {
	tests := []struct {
		name     string
		tok      secret.Token
		zero     bool
		str      string
		fpLength int
	}{
		{"empty", "", true, "<empty>", 0},
		{"set", "abc", false, "sha256:ba7816bf…", 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.tok.IsZero(); got != tc.zero {
				t.Errorf("IsZero = %v, want %v", got, tc.zero)
			}
			if got := tc.tok.String(); got != tc.str {
				t.Errorf("String = %q, want %q", got, tc.str)
			}
			if got := len(tc.tok.Fingerprint()); got != tc.fpLength {
				t.Errorf("len(Fingerprint) = %d, want %d", got, tc.fpLength)
			}
			if got := tc.tok.Reveal(); got != string(tc.tok) {
				t.Errorf("Reveal = %q", got)
			}
		})
	}
	if secret.Token("a").Fingerprint() == secret.Token("b").Fingerprint() {
		t.Error("different tokens share a fingerprint")
	}
}
