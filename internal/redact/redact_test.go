package redact

import (
	"strings"
	"testing"
)

const (
	jwt      = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJqZmFjQDAxL3VzZXJzL2JvdCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	funcKey  = "Zm9vYmFyLWZ1bmN0aW9uLWtleS0xMjM0NTY3ODkw"
	reftoken = "cmVmdGtuOjAxOjE3MDAwMDAwMDA6c2VjcmV0c2VjcmV0"
	apiKey   = "AKCp8jQ7Xz2bKfWm3nLp9RtVy4Hd6Gs1Ae5Cu0Bo"
	sasSig   = "Qm9ndXNTaWduYXR1cmUxMjM0NTY3ODkwYWJjZGVm%3D"
	acctKey  = "c2VjcmV0LWFjY291bnQta2V5LTEyMzQ1Njc4OTA+/w=="
	basicB64 = "ZnJvZ2JyaWRnZTpodW50ZXIyLXBhc3N3b3Jk"
	spaced   = "correct horse battery staple"
	// spacedTail is what survives a redactor that stops at a space.
	spacedTail = "horse battery staple"
	hexCred    = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
	lowCred    = "kqzvmxwtrplnhgfdsaeyuiobcjkqzvmxwtrplnhg"
)

// shapes lists every shape of secret the package removes, with a sample
// line and the secret in it. upstreamOnly shapes are removed by Upstream
// alone.
var shapes = []struct {
	name, line, secret string
	upstreamOnly       bool
}{
	{"jwt", "got token " + jwt + " from entra", jwt, false},
	{"jfrog reference token", "token " + reftoken, reftoken, false},
	{"jfrog api key", "key " + apiKey + " rejected", apiKey, false},
	{"x-jfrog-art-api header", "X-JFrog-Art-Api: " + funcKey, funcKey, false},
	{"bearer alone", "sending bearer " + funcKey, funcKey, false},
	{"authorization bearer", "Authorization: Bearer " + funcKey, funcKey, false},
	{"authorization basic", "Authorization: Basic " + basicB64, basicB64, false},
	{"authorization basic in header map", `{"Authorization":["Basic ` + basicB64 + `"]}`, basicB64, false},
	{"access_token json", `{"access_token":"opaque-` + funcKey + `","username":"bot"}`, "opaque-" + funcKey, false},
	{"accessToken json", `{"accessToken":"` + funcKey + `"}`, funcKey, false},
	{"token json", `{"token": "` + funcKey + `","user":"u"}`, funcKey, false},
	{"token json escaped in a string", `{"body":"{\"token\":\"` + funcKey + `\"}"}`, funcKey, false},
	{"secret json", `{"secret":"` + funcKey + `"}`, funcKey, false},
	{"password json with spaces", `{"password":"` + spaced + `"}`, spacedTail, false},
	{"password key=value with spaces", "Password=" + spaced + ";Server=db", spacedTail, false},
	{"password in query", "https://h/login?user=u&password=" + funcKey + "&x=1", funcKey, false},
	{"client_secret form", "grant_type=client_credentials&client_secret=" + funcKey, funcKey, false},
	{"client_assertion form", "client_assertion_type=jwt-bearer&client_assertion=" + funcKey + "&scope=x", funcKey, false},
	{"function key query", "https://app/api/jobs/training?code=" + funcKey + "&x=1", funcKey, false},
	{"function key query in message", "POST /api/health?code=" + funcKey, funcKey, false},
	{"x-functions-key header", "x-functions-key: " + funcKey, funcKey, false},
	{"x-functions-key header map", `{"X-Functions-Key":["` + funcKey + `"]}`, funcKey, false},
	{"code url-encoded", "redirect=https%3A%2F%2Fapp%2Fapi%2Fhealth%3Fcode%3D" + funcKey + "%26x%3D1", funcKey, false},
	{"access_token url-encoded", "next=%2Fcb%3Faccess_token%3D" + funcKey + "%26state%3D1", funcKey, false},
	{"sas sig", "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sr=b&sig=" + sasSig + "&se=2030", sasSig, false},
	{"SharedAccessSignature", "BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv=2022&ss=b&sig=" + sasSig, sasSig, false},
	{"SharedAccessKey", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=" + acctKey, acctKey, false},
	{"AccountKey", "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=" + acctKey + ";EndpointSuffix=core.windows.net", acctKey, false},
	{"url userinfo password", "dial https://frogbridge:" + funcKey + "@acme.jfrog.io/artifactory", funcKey, false},
	{"url userinfo token", "clone https://" + funcKey + "@github.com/x/y", funcKey, false},
	{"identity header", "IDENTITY_HEADER=a1b2c3d4e5f6", "a1b2c3d4e5f6", false},
	{"opaque mixed-case run", "no mapping for Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZg end", "Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZg", true},
	{"opaque all-hex run", "token " + hexCred + " is revoked", hexCred, true},
	{"opaque all-lowercase run", "token " + lowCred + " is revoked", lowCred, true},
}

func TestEveryShape(t *testing.T) {
	for _, tc := range shapes {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(tc.line, tc.secret) {
				t.Fatal("bad sample")
			}
			check := func(fn string, got string) {
				if strings.Contains(got, tc.secret) {
					t.Errorf("%s(%q) = %q: the secret survived", fn, tc.line, got)
				}
				if !strings.Contains(got, Marker) {
					t.Errorf("%s(%q) = %q: no marker", fn, tc.line, got)
				}
			}
			check("Upstream", Upstream(tc.line))
			if !tc.upstreamOnly {
				check("String", String(tc.line))
			}
		})
	}
}

// TestKeepsOrdinaryText: text with no secret passes unchanged, so messages
// keep naming the path, the setting and the fix.
func TestKeepsOrdinaryText(t *testing.T) {
	for _, s := range []string{
		`{"level":"info","function":"Health","status":200}`,
		`{"error":{"code":"SecretNotFound","message":"no such secret"}}`,
		`{"token":{"version":"3f2a","expired":false}}`,
		"status code: 404",
		"stored token: key vault: GET https://kv.vault.azure.net/secrets/artifactory-access-token-secret/: 404 SecretNotFound",
		"rotated token for user frogbridge-rotation, version 3f2a",
		"decode error at line 3",
		"issuer https://sts.windows.net/0f4c2a1e-1111-2222-3333-444455556666/ does not match",
		"jfrog: PUT https://acme.jfrog.io/artifactory/ml-local/models/iris-classifier/1.0.0/model/model.json: 409",
		"set ARTIFACTORY_TOKEN_SECRET_NAME or run POST /api/KeyVaultSecretRotation?force=true",
		"assign role Key Vault Secrets User to the function app's identity",
		"plain message",
	} {
		if got := Upstream(s); got != s {
			t.Errorf("Upstream(%q) = %q, want unchanged", s, got)
		}
		if got := String(s); got != s {
			t.Errorf("String(%q) = %q, want unchanged", s, got)
		}
	}
}

func TestKeepsKeysAndSchemes(t *testing.T) {
	for in, want := range map[string]string{
		"Authorization: Basic " + basicB64:         "Authorization: Basic " + Marker,
		"https://app/api/x?code=" + funcKey + "&y": "https://app/api/x?code=" + Marker + "&y",
		"https://u:" + funcKey + "@host/p":         "https://" + Marker + "@host/p",
		`{"password":"` + spaced + `","n":1}`:      `{"password":"` + Marker + `","n":1}`,
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSecretNeverSurvives embeds each sample secret, in its shape, anywhere
// in a line of arbitrary text and checks that it never survives either
// function, and that redaction is idempotent.
func FuzzSecretNeverSurvives(f *testing.F) {
	f.Add(uint8(0), "", "")
	f.Add(uint8(3), `{"a":"`, `"}`)
	f.Add(uint8(9), "level=info msg=", " status=200")
	f.Add(uint8(20), "x", "y")
	f.Fuzz(func(t *testing.T, i uint8, before, after string) {
		tc := shapes[int(i)%len(shapes)]
		if strings.Contains(before+after, tc.secret) {
			t.Skip("the text itself holds the sample")
		}
		line := before + " " + tc.line + " " + after
		for _, fn := range []struct {
			name string
			f    func(string) string
			skip bool
		}{{"String", String, tc.upstreamOnly}, {"Upstream", Upstream, false}} {
			if fn.skip {
				continue
			}
			out := fn.f(line)
			if strings.Contains(out, tc.secret) {
				t.Fatalf("%s: %s survived in %q", fn.name, tc.name, out)
			}
			if fn.f(out) != out {
				t.Fatalf("%s is not idempotent on %q", fn.name, line)
			}
		}
	})
}
