package upstream

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func reply(t *testing.T, status int, rawURL string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Response{StatusCode: status, Request: req}
}

func TestNew(t *testing.T) {
	e := New("key vault", reply(t, 403, "https://u:pw@kv.vault.azure.net/secrets/s?api-version=7.5&sig=abc#f"), "Forbidden/ForbiddenByRbac", "Caller is not\nauthorized")
	e.Fix = "assign a role"
	want := "key vault: PUT https://kv.vault.azure.net/secrets/s: 403 Forbidden/ForbiddenByRbac: Caller is not authorized (assign a role)"
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
	if e := New("jfrog", reply(t, 409, "https://acme.jfrog.io/x"), "", ""); e.Code != "Conflict" || e.Error() != "jfrog: PUT https://acme.jfrog.io/x: 409 Conflict" {
		t.Errorf("no body: %q %q", e.Code, e.Error())
	}
	if e := New("jfrog", &http.Response{StatusCode: 500}, "c", "m"); e.Method != "" || e.URL != "" {
		t.Errorf("reply without request: %+v", e)
	}
}

func TestIs(t *testing.T) {
	sentinels := []error{ErrBadRequest, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrUnavailable}
	mine := errors.New("client: secret not found")
	tests := []struct {
		status   int
		sentinel error
		want     error
	}{
		{400, nil, ErrBadRequest}, {401, nil, ErrUnauthorized}, {403, nil, ErrForbidden},
		{404, nil, ErrNotFound}, {404, mine, ErrNotFound}, {409, nil, ErrConflict},
		{429, nil, ErrUnavailable}, {500, nil, ErrUnavailable}, {503, nil, ErrUnavailable}, {418, nil, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &ResponseError{StatusCode: tc.status, Sentinel: tc.sentinel})
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != (s == tc.want) {
					t.Errorf("errors.Is(%d, %v) = %v", tc.status, s, got)
				}
			}
			if got := errors.Is(err, mine); got != (tc.sentinel == mine) {
				t.Errorf("errors.Is(client sentinel) = %v", got)
			}
			if errors.Is(err, nil) {
				t.Error("matched nil")
			}
		})
	}
}

func TestClean(t *testing.T) {
	tok := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlMQ"
	if got := Clean("bad\x00token "+tok+"\r\nend ", 100); got != "bad token [REDACTED]  end" {
		t.Errorf("Clean = %q", got)
	}
	long := strings.Repeat("é", 300)
	got := Clean(long, 101)
	if !utf8.ValidString(got) || len(got) > 101+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("Clean cut %q", got)
	}
}

func TestSetting(t *testing.T) {
	if Setting("UAMI_CLIENT_ID", "the identity's client ID") != "UAMI_CLIENT_ID" || Setting("", "the identity's client ID") != "the identity's client ID" {
		t.Error("Setting")
	}
}
