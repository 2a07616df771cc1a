package azureml_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// TestRegistryConnectionCategories puts the connection with each registry
// category against the local stack and reads back the category stored.
func TestRegistryConnectionCategories(t *testing.T) {
	c, srv := localAzureML(t)
	for _, category := range []string{"", azureml.CategoryContainerRegistry, azureml.CategoryGenericContainerRegistry} {
		want := category
		if want == "" {
			want = azureml.CategoryGenericContainerRegistry
		}
		t.Run(want, func(t *testing.T) {
			conn := azureml.RegistryConnection{Target: "https://acme.jfrog.io", Username: "puller", Password: secret.Token("pw"), Category: category}
			if err := c.PutRegistryConnection(context.Background(), "reg", conn); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, srv.URL+testWS.ID()+"/connections/reg?api-version="+azureml.APIVersion, nil)
			req.Header.Set("Authorization", "Bearer "+fakeToken)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct {
				Properties struct {
					Category string `json:"category"`
				} `json:"properties"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("get: %d %v", resp.StatusCode, err)
			}
			if got.Properties.Category != want {
				t.Fatalf("category %q, want %q", got.Properties.Category, want)
			}
		})
	}
}
