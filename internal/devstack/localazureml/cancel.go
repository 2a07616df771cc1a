package localazureml

import (
	"net/http"
	"net/url"
)

// operationLocation is the location segment of cancel operation URLs.
const operationLocation = "local"

// serveCancel handles POST …/jobs/{name}/cancel: 202 with a Location to
// poll while the job stops, 200 when it is already terminal.
func (s *Server) serveCancel(w http.ResponseWriter, r *http.Request, ws *workspace, name string) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r)
		return
	}
	s.mu.Lock()
	j := ws.Jobs[name]
	if j == nil {
		s.mu.Unlock()
		notFound(w, ws.ResourceGroup, provider+"/workspaces/"+ws.Name+"/jobs", name)
		return
	}
	if terminal(j.Status) {
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	id := newID(16)
	s.st.Operations[id] = operation{Workspace: wsKey(ws.SubscriptionID, ws.ResourceGroup, ws.Name), Job: name}
	s.cancelLocked(ws, j)
	err := s.saveLocked()
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "%s", err)
		return
	}
	s.log.Info().Str("job", name).Msg("job cancel requested")
	w.Header().Set("Location", s.operationURL(r, ws.SubscriptionID, id))
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusAccepted)
}

// operationURL is the absolute URL of cancel operation id.
func (s *Server) operationURL(r *http.Request, sub, id string) string {
	return s.baseURL(r) + "/subscriptions/" + url.PathEscape(sub) + "/providers/" + provider +
		"/locations/" + operationLocation + "/mfeOperationResults/" + id + "?api-version=" + url.QueryEscape(r.URL.Query().Get("api-version"))
}

// serveOperation answers a cancel operation's Location: 202 while the job
// is not terminal, 200 once it is.
func (s *Server) serveOperation(w http.ResponseWriter, r *http.Request, id string) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	s.mu.Lock()
	op, ok := s.st.Operations[id]
	done := true
	if ok {
		if ws := s.st.Workspaces[op.Workspace]; ws != nil {
			if j := ws.Jobs[op.Job]; j != nil {
				done = terminal(j.Status)
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The operation '%s' was not found.", clip(id, 64))
		return
	}
	if !done {
		w.Header().Set("Location", s.baseURL(r)+r.URL.RequestURI())
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.WriteHeader(http.StatusOK)
}
