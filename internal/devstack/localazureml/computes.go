package localazureml

import (
	"net/http"
	"strings"
)

// serveCompute answers GET …/workspaces/{ws}/computes/{name} (Compute_Get
// of api-version 2025-09-01: 200 with a ComputeResource whose
// properties.computeType and properties.provisioningState say what it is,
// or 404). The local stack reports the computes its options declare as
// AmlCompute clusters that finished provisioning; creating or deleting one
// is not served.
func (s *Server) serveCompute(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	if !s.computes[wsKey(ws.SubscriptionID, ws.ResourceGroup, ws.Name)+"/"+strings.ToLower(name)] {
		notFound(w, ws.ResourceGroup, provider+"/workspaces/"+ws.Name+"/computes", name)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":   ws.id() + "/computes/" + name,
		"name": name,
		"type": provider + "/workspaces/computes",
		"properties": map[string]any{
			"computeType":       "AmlCompute",
			"provisioningState": "Succeeded",
		},
	})
}
