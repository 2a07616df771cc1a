package localazureml

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// studioPath is the prefix of the local studio pages. A job's Studio
// service endpoint points at studioPath + name + "?wsid=<workspace id>".
const studioPath = "/studio/runs/"

// studioLogLimit bounds the log excerpt a studio page shows.
const studioLogLimit = 64 << 10

// serveStudio answers the local stand-in for a job's studio page: a plain
// text page with the job's status, error and the end of its
// user_logs/std_log.txt. Like the studio, it is meant for a browser, so it
// takes no bearer token; it serves only loopback callers and never shows
// the job's environment variables.
func (s *Server) serveStudio(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || !net.ParseIP(host).IsLoopback() {
		http.Error(w, "the local studio serves loopback callers only", http.StatusForbidden)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, studioPath)
	wsid := r.URL.Query().Get("wsid")
	s.mu.Lock()
	var j *job
	var wsName string
	for _, ws := range s.st.Workspaces {
		if strings.EqualFold(ws.id(), wsid) {
			j, wsName = ws.Jobs[name], ws.Name
		}
	}
	var snap job
	if j != nil {
		snap = *j
	}
	s.mu.Unlock()
	if j == nil {
		http.Error(w, "no such job in this workspace", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "job %s in workspace %s\nstatus: %s\nexperiment: %s\ncommand: %s\ncreated: %s\n",
		snap.Name, wsName, snap.Status, snap.Def.ExperimentName, snap.Def.Command, snap.CreatedAt.Format("2006-01-02 15:04:05Z07:00"))
	if snap.ErrorMessage != "" {
		fmt.Fprintf(w, "error: %s: %s\n", snap.ErrorCode, snap.ErrorMessage)
	}
	f, err := os.Open(filepath.Join(snap.Dir, logFile))
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(w, "\n--- %s ---\n", logFile)
	if fi, err := f.Stat(); err == nil && fi.Size() > studioLogLimit {
		_, _ = f.Seek(-studioLogLimit, io.SeekEnd)
		fmt.Fprintln(w, "…")
	}
	_, _ = io.Copy(w, io.LimitReader(f, studioLogLimit))
}
