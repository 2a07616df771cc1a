package localjfrog

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func FuzzParseExchangeRequest(f *testing.F) {
	f.Add([]byte(`{"grant_type":"urn:ietf:params:oauth:grant-type:token-exchange","subject_token_type":"urn:ietf:params:oauth:token-type:id_token","subject_token":"a.b.c","provider_name":"azure-oidc","provider_type":"Azure"}`))
	f.Add([]byte(`{"grant_type":"x"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"subject_token":1}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseExchangeRequest(b)
		if err != nil {
			return
		}
		if req.GrantType != grantTokenExchange || req.SubjectTokenType != tokenTypeIDToken || req.SubjectToken == "" || req.ProviderName == "" {
			t.Fatalf("accepted invalid request %+v", req)
		}
	})
}

func FuzzParseProvider(f *testing.F) {
	f.Add([]byte(`{"name":"azure-oidc","issuer_url":"https://login.microsoftonline.com/t/v2.0","provider_type":"Azure","audience":"api://x"}`))
	f.Add([]byte(`{"name":"p","issuer_url":"https://sts.windows.net/t/","token_issuer":"https://sts.windows.net/t/"}`))
	f.Add([]byte(`{"name":"p","issuer_url":"http://x"}`))
	f.Add([]byte(`{"name":"p","issuer_url":"https://x","provider_type":"generic openid connect"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseProvider(b)
		if err != nil {
			return
		}
		if !nameRE.MatchString(p.Name) || !strings.HasPrefix(p.IssuerURL, "https://") {
			t.Fatalf("accepted invalid provider %+v", p)
		}
		again, err := parseProvider(mustJSON(t, p))
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("provider does not round-trip: %+v vs %+v (%v)", p, again, err)
		}
	})
}

func FuzzParseMapping(f *testing.F) {
	f.Add([]byte(`{"name":"m","priority":1,"claims":{"iss":"https://x","aud":["a","b"]},"token_spec":{"username":"u","scope":"applied-permissions/user","expires_in":3600}}`))
	f.Add([]byte(`{"name":"m","priority":2,"claims":{"sub":"s"},"token_spec":{"username_pattern":"{{sub}}"}}`))
	f.Add([]byte(`{"name":"m","priority":0,"claims":{},"token_spec":{}}`))
	f.Add([]byte(`{"name":"m","priority":1,"claims":{"a":1},"token_spec":{"groups_pattern":"g"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMapping(b)
		if err != nil {
			return
		}
		spec := m.TokenSpec
		if m.Priority < 1 || len(m.Claims) == 0 || !scopeRE.MatchString(spec.Scope) || spec.ExpiresIn < 60 || spec.ExpiresIn > 86400 ||
			spec.Audience == "" || (spec.Username == "") == (spec.UsernamePattern == "") || (spec.Username != "" && !validUsername(spec.Username)) {
			t.Fatalf("accepted invalid mapping %+v", m)
		}
		again, err := parseMapping(mustJSON(t, m))
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("mapping does not round-trip: %+v vs %+v (%v)", m, again, err)
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"created_date":"2025-06-01T12:30:05.12","model_artifacts":[{"artifact_path":"model.pkl","size":1234,"checksums":{"sha2":"` + strings.Repeat("a", 64) + `"}}],"model_format":{"framework":"files","framework_version":"","serialization_format":"pkl","runtime":"python","runtime_version":"3.11.9"},"dependency_artifacts":[{"artifact_path":"requirements.txt","size":42,"checksums":{"sha2":"` + strings.Repeat("b", 64) + `"}}],"code_artifacts":{"artifact_path":"code.zip","size":999,"checksums":{"sha2":"` + strings.Repeat("c", 64) + `"}}}`))
	f.Add([]byte(`{"model_artifacts":[{"artifact_path":"../x","size":1,"checksums":{"sha2":"` + strings.Repeat("a", 64) + `"}}]}`))
	f.Add([]byte(`{"model_artifacts":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseManifest(b)
		if err != nil {
			return
		}
		for _, a := range m.ModelArtifacts {
			if p, err := cleanPath(a.ArtifactPath); err != nil || p != a.ArtifactPath || p == "" || !isHex(a.Checksums.Sha2, 64) {
				t.Fatalf("accepted invalid artifact %+v", a)
			}
		}
		again, err := parseManifest(mustJSON(t, m))
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("manifest does not round-trip (%v)", err)
		}
	})
}

func FuzzParseAdditionalData(f *testing.F) {
	f.Add([]byte(`null`))
	f.Add([]byte(`{"accuracy":"0.97","trees":100,"nested":{"a":[1,2]}}`))
	f.Add([]byte(`{"":"x"}`))
	f.Add([]byte(`"text"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		props, err := parseAdditionalData(b)
		if err != nil {
			return
		}
		for k, v := range props {
			if k == "" || len(v) != 1 || len(k) > 60 || len(v[0]) > 60 || strings.ContainsAny(v[0], "\n\r;=") {
				t.Fatalf("property %q = %v passed frogml's rules", k, v)
			}
		}
	})
}

func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{"a=1", "a=1,2;b=3", `a=x\,y`, "k|v=1", "=", ";;", `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		props, err := parseProperties(s)
		if err != nil {
			return
		}
		if len(props) == 0 {
			t.Fatal("success without properties")
		}
		for k, v := range props {
			if strings.TrimSpace(k) == "" || len(v) == 0 {
				t.Fatalf("property %q = %v", k, v)
			}
		}
	})
}

func FuzzParseDeployTarget(f *testing.F) {
	for _, s := range []string{"/artifactory/repo/a/b.txt", "/artifactory/repo/a/b.txt;k=v;k=w", "/artifactory/repo/dir/", "/artifactory/repo/%2e%2e/x", "/artifactory/repo/a%3Bb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := parseDeployTarget(s)
		if err != nil {
			return
		}
		if p, err := cleanPath(ref.Path); err != nil || p != ref.Path {
			t.Fatalf("accepted unclean path %q", ref.Path)
		}
		for _, seg := range strings.Split(ref.Path, "/") {
			if seg == ".." {
				t.Fatalf("path %q escapes", ref.Path)
			}
		}
	})
}

func FuzzParseRepoConfig(f *testing.F) {
	f.Add([]byte(`{"rclass":"local","packageType":"machinelearning"}`), "ml-local")
	f.Add([]byte(`{"key":"g","rclass":"LOCAL","packageType":"Generic"}`), "g")
	f.Add([]byte(`{"rclass":"remote"}`), "x")
	f.Fuzz(func(t *testing.T, b []byte, key string) {
		c, err := parseRepoConfig(b, key)
		if err != nil {
			return
		}
		if c.Key != key || !repoKeyRE.MatchString(key) || c.RClass != "local" || (c.PackageType != packageGeneric && c.PackageType != packageML) {
			t.Fatalf("accepted invalid config %+v for %q", c, key)
		}
	})
}

func FuzzWantedChecksums(f *testing.F) {
	f.Add("", "", "", strings.Repeat("a", 64))
	f.Add(strings.Repeat("A", 64), strings.Repeat("b", 40), strings.Repeat("c", 32), "")
	f.Add("zz", "", "", "123")
	f.Fuzz(func(t *testing.T, s256, s1, m5, any string) {
		h := http.Header{}
		h.Set("X-Checksum-Sha256", s256)
		h.Set("X-Checksum-Sha1", s1)
		h.Set("X-Checksum-Md5", m5)
		h.Set("X-Checksum", any)
		c, err := wantedChecksums(h)
		if err != nil {
			return
		}
		if (c.Sha256 != "" && !isHex(c.Sha256, 64)) || (c.Sha1 != "" && !isHex(c.Sha1, 40)) || (c.Md5 != "" && !isHex(c.Md5, 32)) {
			t.Fatalf("accepted malformed checksums %+v", c)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParseCreateToken(f *testing.F) {
	f.Add("application/json", []byte(`{"username":"ci","scope":"applied-permissions/user","expires_in":600}`))
	f.Add("application/x-www-form-urlencoded", []byte("expires_in=3000&scope=applied-permissions/user"))
	f.Add("", []byte("expires_in=x"))
	f.Add("application/json", []byte(`{"grant_type":"refresh_token"}`))
	f.Fuzz(func(t *testing.T, ctype string, b []byte) {
		req, err := parseCreateToken(ctype, b)
		if err != nil {
			return
		}
		if req.GrantType != "client_credentials" || !scopeRE.MatchString(req.Scope) || req.ExpiresIn == nil || *req.ExpiresIn < 0 || req.Audience == "" ||
			(req.Username != "" && !validUsername(req.Username)) {
			t.Fatalf("accepted invalid request %+v", req)
		}
	})
}

func FuzzParseRevokeByValue(f *testing.F) {
	f.Add([]byte(`{"token":"a.b.c"}`))
	f.Add([]byte(`{"token":""}`))
	f.Add([]byte(`{"token":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := parseRevokeByValue(b)
		if err == nil && tok == "" {
			t.Fatal("accepted an empty token")
		}
	})
}
