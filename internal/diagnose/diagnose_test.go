package diagnose

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/golang-jwt/jwt/v5"
)

func TestDecodeClaimsKeepsOnlyShownClaims(t *testing.T) {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://login.microsoftonline.com/t/v2.0", "aud": "api://x", "ver": "2.0", "oid": "o", "sub": "s", "tid": "t",
		"roles": []string{"r"}, "xms_secret": "hidden", "uti": "u",
	}).SignedString([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	c := decodeClaims(tok)
	for _, k := range []string{"iss", "aud", "ver", "oid", "sub", "tid", "roles"} {
		if _, ok := c[k]; !ok {
			t.Errorf("claim %s missing from %v", k, c)
		}
	}
	if len(c) != 7 {
		t.Errorf("claims = %v, want only the seven shown ones", c)
	}
	if got := decodeClaims("not a token"); len(got) != 0 {
		t.Errorf("decodeClaims(garbage) = %v", got)
	}
}

func FuzzDecodeClaims(f *testing.F) {
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJvaWQiOiJvIn0.c2ln")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		for k := range decodeClaims(s) {
			switch k {
			case "iss", "aud", "ver", "oid", "sub", "tid", "roles":
			default:
				t.Fatalf("decodeClaims(%q) kept claim %s", s, k)
			}
		}
	})
}

func TestWriteTableRedactsAndFlags(t *testing.T) {
	rep := Report{Status: "fail", Checks: []Check{
		{Name: "a", Result: OK, Detail: "fine", Claims: map[string]any{"oid": "o1"}},
		{Name: "b", Result: Fail, Detail: "multi\nline", Fix: "set X"},
	}}
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"CHECK", "WHAT TO CHANGE", "oid=o1", "multi line", "set X", "status: fail"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !rep.Failed() {
		t.Error("a failed report does not say so")
	}
}

func TestRunWithoutSettingsSkipsEveryCheck(t *testing.T) {
	rep := Run(t.Context(), Deps{Missing: map[string]string{"rotation": "KEY_VAULT_NAME: missing", "jobs": "AZUREML_WORKSPACE_NAME: missing"}})
	if rep.Status != "ok" || len(rep.Checks) < 8 {
		t.Fatalf("report = %+v", rep)
	}
	for _, c := range rep.Checks {
		if c.Result != Skip || c.Detail == "" {
			t.Errorf("check %s = %s %q, want a skip naming the settings", c.Name, c.Result, c.Detail)
		}
	}
}

func TestRunRedactsDetails(t *testing.T) {
	// Report text passes through the redactor: a secret-shaped value in an
	// upstream message does not survive.
	r := &runner{}
	r.add(Check{Name: "x", Result: Fail, Detail: "answer: access_token=abcdefABCDEF0123456789abcdefABCDEF0123"})
	rep := Report{Checks: r.checks}
	for i := range rep.Checks {
		rep.Checks[i].Detail = redactText(rep.Checks[i].Detail)
	}
	if strings.Contains(rep.Checks[0].Detail, "abcdefABCDEF0123456789") {
		t.Fatalf("detail kept the secret: %s", rep.Checks[0].Detail)
	}
}

func TestEntraFixNamesAssignmentAndMissingApp(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"error":"invalid_resource","error_description":"AADSTS500011: The resource principal named api://x was not found in the tenant named t.","error_codes":[500011]}`, "app not found"},
		{`{"error":"invalid_grant","error_description":"AADSTS50105: The signed in user is not assigned to a role for the application.","error_codes":[50105]}`, "assignment required"},
		{`{"error":"invalid_request","error_description":"something else"}`, ""},
		{`not json`, ""},
	} {
		resp := &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(tc.body)), Header: http.Header{}, Request: &http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: "169.254.169.254", Path: "/metadata/identity/oauth2/token"}}}
		err := fmt.Errorf("wrapped: %w", &azidentity.AuthenticationFailedError{RawResponse: resp})
		got := entraFix(err)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("entraFix(%s) = %q, want %q", tc.body, got, tc.want)
		}
	}
	if entraFix(errors.New("plain")) != "" {
		t.Error("a plain error got an Entra fix")
	}
}

func FuzzEntraFix(f *testing.F) {
	f.Add(`{"error_description":"AADSTS50105: no","error_codes":[50105]}`)
	f.Add(`{"error_codes":[500011, 1e99]}`)
	f.Fuzz(func(t *testing.T, body string) {
		resp := &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(body)), Header: http.Header{},
			Request: &http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: "h"}}}
		got := entraFix(&azidentity.AuthenticationFailedError{RawResponse: resp})
		if got != "" && !strings.HasPrefix(got, "AADSTS") {
			t.Fatalf("entraFix(%q) = %q", body, got)
		}
	})
}
