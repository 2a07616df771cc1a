package localazureml

import (
	"net/http"
	"strings"
	"time"
)

// Where AzureML exposes a failed job's error, and how the server mirrors
// it. The published job schema (JobBase in
// Azure/azure-rest-api-specs …/stable/2025-09-01/mfe.json, and the
// CommandJob get example) has no error property; azure-ai-ml reads the
// error from the run history instead:
//
//   - the workspace resource's properties.discoveryUrl names the discovery
//     service (Workspace in …/2025-09-01/workspaceRP.json);
//   - GET on it answers a JSON object whose "api" entry is the base URL of
//     the workspace's data-plane services (JobOperations._get_workspace_url
//     and _api_url with WorkspaceDiscoveryUrlKey.API, sdk/ml/azure-ai-ml/
//     azure/ai/ml/operations/_job_operations.py; the request carries no
//     token there);
//   - GET {api}/history/v1.0/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/runs/{runId}/details
//     with an ARM-audience token answers RunDetails, whose error is an
//     ErrorResponse {"error": RootError {"code", "message", …}, …}
//     (build_get_details_request in _restclient/runhistory/operations/_runs_operations.py,
//     RunDetails and ErrorResponse in _restclient/runhistory/models/_models_py3.py,
//     credential_scopes in _restclient/runhistory/_configuration.py);
//   - for a Failed run, stream_logs_until_completion prints that error, or
//     "Detailed error not set on the Run. Please check the logs for details."
//     when it is absent (operations/_job_ops_helper.py).
//
// The server serves all three: the workspace GET, /discovery (every entry
// pointing at the server; only "api" is used by the client, the other key
// names are unverified) and the run details of the jobs it runs.

// discoveryPath is the local discovery service's path.
const discoveryPath = "/discovery"

// historyPrefix is the run history's path prefix.
const historyPrefix = "/history/v1.0/"

// workspaceResource is the wire shape of a workspace (the properties the
// suite reads).
type workspaceResource struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Location   string         `json:"location"`
	Properties workspaceProps `json:"properties"`
}

type workspaceProps struct {
	WorkspaceID       string `json:"workspaceId"`
	FriendlyName      string `json:"friendlyName"`
	DiscoveryURL      string `json:"discoveryUrl"`
	ProvisioningState string `json:"provisioningState"`
}

// runDetails is the wire shape of the run history's RunDetails.
type runDetails struct {
	RunID        string            `json:"runId"`
	Status       string            `json:"status"`
	Target       string            `json:"target,omitempty"`
	CreatedTime  string            `json:"createdTimeUtc,omitempty"`
	StartTimeUtc string            `json:"startTimeUtc,omitempty"`
	EndTimeUtc   string            `json:"endTimeUtc,omitempty"`
	Error        *runErrorResponse `json:"error,omitempty"`
	Warnings     []any             `json:"warnings"`
	Tags         map[string]string `json:"tags,omitempty"`
}

type runErrorResponse struct {
	Error         armErrorDetail `json:"error"`
	Time          string         `json:"time,omitempty"`
	ComponentName string         `json:"componentName,omitempty"`
}

func (s *Server) serveWorkspaceResource(w http.ResponseWriter, r *http.Request, ws *workspace) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	writeJSON(w, http.StatusOK, workspaceResource{
		ID: ws.id(), Name: ws.Name, Type: provider + "/workspaces", Location: "local",
		Properties: workspaceProps{
			WorkspaceID: ws.GUID, FriendlyName: ws.Name, ProvisioningState: "Succeeded",
			DiscoveryURL: s.baseURL(r) + discoveryPath,
		},
	})
}

// serveDiscovery answers the discovery document. Like the real one it
// needs no token.
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	base := s.baseURL(r)
	writeJSON(w, http.StatusOK, map[string]string{
		"api": base, "history": base, "experimentation": base,
	})
}

// serveRunHistory answers GET …/workspaces/{ws}/runs/{runId}/details below
// historyPrefix. The caller has authorized the request.
func (s *Server) serveRunHistory(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, historyPrefix), "/"), "/")
	if len(segs) != 11 || !eq(segs[0], "subscriptions") || !eq(segs[2], "resourceGroups") || !eq(segs[4], "providers") ||
		!eq(segs[5], provider) || !eq(segs[6], "workspaces") || !eq(segs[8], "runs") || !eq(segs[10], "details") {
		writeError(w, http.StatusNotFound, "NotFound", "The run history route '%s' is not served by the local stack.", clip(r.URL.Path, 200))
		return
	}
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	s.mu.Lock()
	ws := s.st.Workspaces[wsKey(segs[1], segs[3], segs[7])]
	var out runDetails
	var found bool
	if ws != nil {
		if j := ws.Jobs[segs[9]]; j != nil {
			found = true
			out = runDetailsOf(j)
		}
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, "UserError", "Run %s was not found.", clip(segs[9], 100))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// runDetailsOf builds a job's run details. The caller holds s.mu.
func runDetailsOf(j *job) runDetails {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	d := runDetails{
		RunID: j.Name, Status: j.Status, CreatedTime: stamp(j.CreatedAt),
		StartTimeUtc: stamp(j.StartedAt), EndTimeUtc: stamp(j.EndedAt),
		Warnings: []any{}, Tags: j.Def.Tags,
	}
	if i := strings.LastIndex(j.Def.ComputeID, "/"); i >= 0 {
		d.Target = j.Def.ComputeID[i+1:]
	}
	if j.Status == statusFailed && j.ErrorMessage != "" {
		d.Error = &runErrorResponse{
			Error: armErrorDetail{Code: j.ErrorCode, Message: j.ErrorMessage},
			Time:  stamp(j.EndedAt), ComponentName: "localazureml",
		}
	}
	return d
}
