package keyvault

import (
	"errors"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/secret"
)

func TestShapeEncodeExact(t *testing.T) {
	tok := secret.Token("tok.en-1")
	tests := []struct {
		shape Shape
		want  string
	}{
		{ShapeJSON, `{"access_token":"tok.en-1","username":"ci-user"}`},
		// base64("ci-user:tok.en-1")
		{ShapeDockerConfigJSON, `{"auths":{"example.jfrog.io":{"auth":"Y2ktdXNlcjp0b2suZW4tMQ=="}}}`},
		{ShapeNetrc, "machine example.jfrog.io login ci-user password tok.en-1\n"},
	}
	for _, tc := range tests {
		got, err := tc.shape.Encode("example.jfrog.io", tok, "ci-user")
		if err != nil {
			t.Fatalf("%s: %v", tc.shape, err)
		}
		if got != tc.want {
			t.Errorf("%s = %q, want %q", tc.shape, got, tc.want)
		}
		c, err := tc.shape.Parse("s", got)
		if err != nil || c.AccessToken != tok || c.Username != "ci-user" {
			t.Errorf("%s: parse back = %+v, %v", tc.shape, c, err)
		}
	}
}

func TestShapeEncodeRejects(t *testing.T) {
	for _, tc := range []struct {
		shape       Shape
		host, token string
	}{
		{ShapeDockerConfigJSON, "", "t"},
		{ShapeNetrc, "", "t"},
		{ShapeNetrc, "h", "t with space"},
		{Shape("yaml"), "h", "t"},
	} {
		if _, err := tc.shape.Encode(tc.host, secret.Token(tc.token), "u"); err == nil {
			t.Errorf("%s host %q accepted", tc.shape, tc.host)
		}
	}
}

func TestShapeParseMalformedNeverQuotesValue(t *testing.T) {
	for _, tc := range []struct {
		shape Shape
		value string
	}{
		{ShapeDockerConfigJSON, `{"auths":{}}`},
		{ShapeDockerConfigJSON, `{"auths":{"h":{"auth":"c2VjcmV0LXZhbHVl"}}}`}, // no colon
		{ShapeDockerConfigJSON, `secret-value`},
		{ShapeNetrc, `machine h login u secret-value`},
		{ShapeNetrc, `host h user u password secret-value`},
	} {
		_, err := tc.shape.Parse("s", tc.value)
		if !errors.Is(err, ErrMalformedSecret) {
			t.Errorf("%s %q: err = %v", tc.shape, tc.value, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret-value") {
			t.Errorf("%s: error quotes the value: %v", tc.shape, err)
		}
	}
}

func FuzzShapeParse(f *testing.F) {
	f.Add(`{"auths":{"h":{"auth":"dTp0"}}}`)
	f.Add("machine h login u password t\n")
	f.Add(`{"access_token":"t","username":"u"}`)
	f.Fuzz(func(t *testing.T, v string) {
		for _, sh := range Shapes {
			c, err := sh.Parse("s", v)
			if err != nil {
				if !errors.Is(err, ErrMalformedSecret) {
					t.Fatalf("%s: unclassified error %v", sh, err)
				}
				continue
			}
			if c.AccessToken.IsZero() || c.Username == "" {
				t.Fatalf("%s: parsed empty credentials from %q", sh, v)
			}
		}
	})
}
