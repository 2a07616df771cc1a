package rotation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/keyvault"
	"github.com/frogbridge/frogbridge/internal/redact"
	"github.com/frogbridge/frogbridge/internal/secret"
	"github.com/frogbridge/frogbridge/internal/upstream"
)

// TestNoTokenInLogsOrResults logs every type that holds a token, runs
// rotations (successful and failing) with a logger writing to a buffer, and
// checks that no token text appears in logs, errors or results.
func TestNoTokenInLogsOrResults(t *testing.T) {
	var buf bytes.Buffer
	log := zerolog.New(&buf).With().Timestamp().Logger()
	const raw = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.bGVhay1zaWduYXR1cmU"
	tok := secret.Token(raw)
	exp := time.Now()
	holders := []any{
		tok,
		jfrog.ExchangeResponse{AccessToken: tok, Username: "u", TokenID: "id"},
		keyvault.Credentials{AccessToken: tok, Username: "u", Properties: keyvault.Properties{Name: "s", ExpiresOn: &exp}},
		keyvault.NewVersion{AccessToken: tok, Username: "u"},
	}
	for i, h := range holders {
		name := fmt.Sprintf("h%d", i)
		log.Info().Interface(name, h).Msg("interface")
		log.Info().Str(name, fmt.Sprintf("%v %+v %#v %s", h, h, h, h)).Msg("formatted")
		if m, ok := h.(zerolog.LogObjectMarshaler); ok {
			log.Info().Object(name, m).Msg("object")
		}
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
	}

	var seen []string
	for _, setup := range []func(f *fixture){
		func(f *fixture) {},
		func(f *fixture) { f.jf.meErr = &upstream.ResponseError{Service: jfrog.Service, StatusCode: 401} },
		func(f *fixture) { f.store.putErr = &upstream.ResponseError{Service: keyvault.Service, StatusCode: 403} },
		func(f *fixture) {
			f.store.putErr = fmt.Errorf("x: %w", context.DeadlineExceeded)
			f.store.readBackErr = fmt.Errorf("y")
		},
		func(f *fixture) { f.jf.revokeErr = &upstream.ResponseError{Service: jfrog.Service, StatusCode: 500} },
		func(f *fixture) { f.tokens.token = "header.payload-secret-value.signature" },
	} {
		f := newFixture(t, Config{RevokePrevious: true}, func(d *Dependencies) { d.Logger = &log })
		f.store.add(oldCreds(t, time.Minute))
		setup(f)
		res, err := f.svc.Rotate(context.Background(), RotateOptions{Force: true, Trigger: "http"})
		b, _ := json.Marshal(res)
		buf.Write(b)
		if err != nil {
			buf.WriteString(err.Error() + redact.Error(err))
		}
		st, _ := f.svc.Status(context.Background())
		log.Info().Object("status", st).Interface("status_iface", st).Msg("status")
		for _, m := range f.jf.minted {
			seen = append(seen, m.Reveal())
		}
		for _, sub := range f.jf.subjects {
			seen = append(seen, sub.Reveal())
		}
		seen = append(seen, f.store.versions[0].AccessToken.Reveal(), f.tokens.token)
	}
	seen = append(seen, raw)
	out := buf.String()
	if !strings.Contains(out, "token rotated") || !strings.Contains(out, "revoke") {
		t.Fatalf("logs are missing expected events:\n%s", out)
	}
	for _, s := range seen {
		if s == "" {
			continue
		}
		if strings.Contains(out, s) {
			t.Errorf("token %s… appears in the output", s[:10])
		}
		// the payload segment alone is enough to leak claims
		if parts := strings.Split(s, "."); len(parts) == 3 && strings.Contains(out, parts[1]) {
			t.Errorf("token payload %s… appears in the output", parts[1][:8])
		}
	}
}
