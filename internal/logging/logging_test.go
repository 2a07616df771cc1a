package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

const (
	jwt        = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJqZmFjQDAxL3VzZXJzL2JvdCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	funcKey    = "Zm9vYmFyLWZ1bmN0aW9uLWtleS0xMjM0NTY3ODkw"
	reftoken   = "cmVmdGtuOjAxOjE3MDAwMDAwMDA6c2VjcmV0c2VjcmV0"
	identityHd = "a1b2c3d4e5f6"
)

func TestRedactionOfEveryWayToLogASecret(t *testing.T) {
	tests := []struct {
		name   string
		log    func(l zerolog.Logger)
		secret string
	}{
		{"jwt in message", func(l zerolog.Logger) { l.Info().Msg("got token " + jwt) }, jwt},
		{"jwt in field", func(l zerolog.Logger) { l.Info().Str("token", jwt).Msg("x") }, jwt},
		{"jwt in error", func(l zerolog.Logger) { l.Error().Err(errors.New("exchange failed for " + jwt)).Msg("x") }, jwt},
		{"access_token json in field", func(l zerolog.Logger) {
			l.Info().Str("body", `{"access_token":"opaque-`+funcKey+`","username":"bot"}`).Msg("x")
		}, "opaque-" + funcKey},
		{"code query", func(l zerolog.Logger) {
			l.Info().Str("url", "https://app/api/jobs/training?code="+funcKey+"&x=1").Msg("x")
		}, funcKey},
		{"code query in message", func(l zerolog.Logger) { l.Info().Msgf("POST /api/health?code=%s", funcKey) }, funcKey},
		{"x-functions-key header", func(l zerolog.Logger) { l.Info().Msgf("x-functions-key: %s", funcKey) }, funcKey},
		{"header map", func(l zerolog.Logger) {
			l.Info().Interface("headers", map[string][]string{"X-Functions-Key": {funcKey}}).Msg("x")
		}, funcKey},
		{"authorization bearer", func(l zerolog.Logger) { l.Info().Str("h", "Authorization: Bearer "+funcKey).Msg("x") }, funcKey},
		{"bearer alone", func(l zerolog.Logger) { l.Info().Msg("sending bearer " + funcKey) }, funcKey},
		{"reference token", func(l zerolog.Logger) { l.Info().Msg("token " + reftoken) }, reftoken},
		{"identity header", func(l zerolog.Logger) { l.Info().Msgf("IDENTITY_HEADER=%s", identityHd) }, identityHd},
		{"basic credentials in a header map", func(l zerolog.Logger) {
			l.Info().Interface("headers", map[string][]string{"Authorization": {"Basic " + funcKey}}).Msg("x")
		}, funcKey},
		{"password with spaces in a field", func(l zerolog.Logger) { l.Info().Str("dsn", "Server=db;Password=correct horse battery").Msg("x") }, "horse battery"},
		{"sas url in an error", func(l zerolog.Logger) {
			l.Error().Err(errors.New("GET https://a.blob.core.windows.net/c/b?sv=1&sig=" + funcKey + ": 403")).Msg("x")
		}, funcKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(New(&buf, zerolog.InfoLevel))
			out := buf.String()
			if out == "" {
				t.Fatal("nothing was logged")
			}
			if strings.Contains(out, tt.secret) {
				t.Fatalf("secret leaked: %s", out)
			}
			if !strings.Contains(out, Redacted) {
				t.Fatalf("no redaction marker in %s", out)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Fatalf("redaction broke the JSON line %q: %v", out, err)
			}
		})
	}
}

func TestContextLogger(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, zerolog.InfoLevel).With().Str(FieldInvocationID, "inv-1").Logger()
	ctx := WithLogger(context.Background(), l)
	lg := FromContext(ctx)
	lg.Info().Msg("hello")
	if !strings.Contains(buf.String(), `"invocation_id":"inv-1"`) {
		t.Fatalf("invocation id missing: %s", buf.String())
	}
	nop := FromContext(context.Background())
	nop.Info().Msg("dropped")
}
