package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// TestRotationTargets: with ROTATION_TARGETS, a dockerconfigjson target
// exchanged through its own identity mapping rotates beside the default
// secret, while a netrc target naming a mapping that does not exist fails
// on its own and leaves the others rotated (both read back from Key Vault).
func TestRotationTargets(t *testing.T) {
	s := sharedStack(t)
	kv := s.vault(t)
	provider := s.env["JFROG_OIDC_PROVIDER_NAME"]
	mapping := map[string]any{"name": "e2e-docker", "priority": 90,
		"claims":     map[string]string{"oid": s.env["DEVSTACK_FUNCTION_APP_OBJECT_ID"]},
		"token_spec": map[string]any{"username": "frogbridge-docker", "scope": "applied-permissions/user", "expires_in": 21600}}
	s.jfrogAdmin(t, http.MethodDelete, "/access/api/v1/oidc/"+provider+"/identity_mappings/e2e-docker", nil)
	if st, b := s.jfrogAdmin(t, http.MethodPost, "/access/api/v1/oidc/"+provider+"/identity_mappings", mapping); st/100 != 2 {
		t.Fatalf("create mapping: %d %s", st, b)
	}
	defer s.jfrogAdmin(t, http.MethodDelete, "/access/api/v1/oidc/"+provider+"/identity_mappings/e2e-docker", nil)

	targets := `[{"secret":"e2e-docker-pull","shape":"dockerconfigjson","identity_mapping_name":"e2e-docker","scope":"applied-permissions/user"},` +
		`{"secret":"e2e-netrc","shape":"netrc","identity_mapping_name":"e2e-no-such-mapping"}]`
	h := startHost(t, s, map[string]string{"ROTATION_TARGETS": targets})
	status, body := h.call(t, http.MethodPost, "/api/KeyVaultSecretRotation?force=true", "", "function")
	var reply struct {
		rotationReply
		Targets []struct {
			Secret        string `json:"secret"`
			Shape         string `json:"shape"`
			Rotated       bool   `json:"rotated"`
			Username      string `json:"username"`
			SecretVersion string `json:"secret_version"`
			Error         string `json:"error"`
		} `json:"targets"`
	}
	if status != http.StatusOK {
		t.Fatalf("rotation = %d %s\n%s", status, body, h.out)
	}
	decode(t, body, &reply)
	if reply.Status != "partial" || !reply.Rotated || reply.Username != "frogbridge-rotation" || len(reply.Targets) != 3 {
		t.Fatalf("reply = %s", body)
	}
	def, docker, netrc := reply.Targets[0], reply.Targets[1], reply.Targets[2]
	if def.Secret != secretName || !def.Rotated || def.SecretVersion != reply.SecretVersion {
		t.Errorf("default target = %+v", def)
	}
	if docker.Secret != "e2e-docker-pull" || docker.Shape != "dockerconfigjson" || !docker.Rotated || docker.Username != "frogbridge-docker" || docker.Error != "" {
		t.Errorf("docker target = %+v", docker)
	}
	if netrc.Rotated || !strings.Contains(netrc.Error, "e2e-no-such-mapping") {
		t.Errorf("netrc target = %+v, want a failure naming the mapping", netrc)
	}

	// The default secret holds today's shape and a working token.
	if v, tok, user := s.storedCredentials(t, kv); v != reply.SecretVersion || user != "frogbridge-rotation" || s.jfrogMe(t, tok) != http.StatusOK {
		t.Errorf("default secret: version %s user %s", v, user)
	}
	// The docker target holds {"auths":{"<host>":{"auth":"base64(user:token)"}}}.
	resp, err := kv.GetSecret(context.Background(), "e2e-docker-pull", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ID.Version() != docker.SecretVersion {
		t.Errorf("docker secret version %s, reply %s", resp.ID.Version(), docker.SecretVersion)
	}
	u, _ := url.Parse(s.env["ARTIFACTORY_URL"])
	var dc struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal([]byte(*resp.Value), &dc); err != nil || len(dc.Auths) != 1 {
		t.Fatalf("docker secret is not a dockerconfigjson with one host: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(dc.Auths[u.Host].Auth)
	user, tok, ok := strings.Cut(string(raw), ":")
	if err != nil || !ok || user != "frogbridge-docker" {
		t.Fatalf("docker auth for %s: user %q (%v)", u.Host, user, err)
	}
	if code := s.jfrogMe(t, tok); code != http.StatusOK {
		t.Errorf("docker target's token: tokens/me = %d", code)
	}
	// The broken target stored nothing.
	_, err = kv.GetSecret(context.Background(), "e2e-netrc", "", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		t.Errorf("broken target's secret: %v, want 404", err)
	}

	t.Run("a failing default target answers as today and still lists the others", func(t *testing.T) {
		bad := `[{"secret":"` + secretName + `","identity_mapping_name":"e2e-no-such-mapping"},{"secret":"e2e-docker-pull","shape":"dockerconfigjson","identity_mapping_name":"e2e-docker"}]`
		h2 := startHost(t, s, map[string]string{"ROTATION_TARGETS": bad})
		before, _, _ := s.storedCredentials(t, kv)
		status, body := h2.call(t, http.MethodPost, "/api/KeyVaultSecretRotation?force=true", "", "function")
		var fail struct {
			Error, Details string
			Targets        []struct {
				Secret  string `json:"secret"`
				Rotated bool   `json:"rotated"`
				Error   string `json:"error"`
			} `json:"targets"`
		}
		decode(t, body, &fail)
		if status != http.StatusForbidden || fail.Error == "" || !strings.Contains(fail.Details, "e2e-no-such-mapping") || len(fail.Targets) != 2 {
			t.Fatalf("rotation = %d %s, want 403 naming the mapping", status, body)
		}
		if fail.Targets[0].Rotated || !fail.Targets[1].Rotated || fail.Targets[1].Error != "" {
			t.Errorf("targets = %+v", fail.Targets)
		}
		if after, _, _ := s.storedCredentials(t, kv); after != before {
			t.Errorf("the failed default target moved its secret from %s to %s", before, after)
		}
	})
	scanForLeaks(t, s, h, kv)
}
