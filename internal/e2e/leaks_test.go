package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// scanForLeaks checks that no secret value appears in the logs of the
// host, the handler and the stack: every stored token version, the
// function keys, the managed-identity secrets and the JFrog admin token.
func scanForLeaks(t testing.TB, s *stack, h *host, kv *azsecrets.Client) {
	t.Helper()
	secrets := map[string]string{
		"function key":       h.functionKey,
		"master key":         h.masterKey,
		"IDENTITY_HEADER":    s.env["IDENTITY_HEADER"],
		"compute MSI secret": s.env["DEVSTACK_COMPUTE_MSI_SECRET"],
		"JFrog admin token":  s.env["JFROG_ADMIN_TOKEN"],
		"CI client secret":   s.env["DEVSTACK_CI_CLIENT_SECRET"],
	}
	pager := kv.NewListSecretPropertiesVersionsPager(secretName, nil)
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Value {
			resp, err := kv.GetSecret(context.Background(), secretName, p.ID.Version(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var v struct {
				AccessToken string `json:"access_token"`
			}
			json.Unmarshal([]byte(*resp.Value), &v)
			secrets["stored token "+p.ID.Version()] = v.AccessToken
		}
	}
	logs := map[string]string{"host and handler": h.out.String(), "devstack up": s.out.String()}
	for where, text := range logs {
		if text == "" {
			t.Errorf("no output captured from %s", where)
		}
		for what, value := range secrets {
			if len(value) >= 8 && strings.Contains(text, value) {
				t.Errorf("%s appears in the %s output", what, where)
			}
		}
	}
}
