package localazureml

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// stopReason says why a run was stopped before its process ended.
type stopReason int

const (
	stopNone stopReason = iota
	stopCanceled
	stopClosing
	stopTimeout
)

// run is a job being executed.
type run struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	reason stopReason
}

// stop records the first reason and cancels the run's context.
func (r *run) stop(reason stopReason) {
	r.mu.Lock()
	if r.reason == stopNone {
		r.reason = reason
	}
	r.mu.Unlock()
	r.cancel()
}

func (r *run) stopped() stopReason {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason
}

// Error codes of failed jobs.
const (
	codeUserError    = "UserError"
	codeServiceError = "ServiceError"
)

// logFile is the job's combined output, relative to its folder.
const logFile = "user_logs/std_log.txt"

// stopGrace is how long a stopped process group gets between SIGTERM and
// SIGKILL.
const stopGrace = 3 * time.Second

func runKey(wsk, name string) string { return wsk + "|" + name }

// startLocked starts executing j. The caller holds s.mu.
func (s *Server) startLocked(ws *workspace, j *job) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{cancel: cancel}
	wsk := wsKey(ws.SubscriptionID, ws.ResourceGroup, ws.Name)
	s.runs[runKey(wsk, j.Name)] = r
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		code, msg := s.execute(ctx, r, wsk, j.Name)
		s.finish(r, wsk, j.Name, code, msg)
	}()
}

// cancelLocked marks j CancelRequested and stops its run. The caller holds
// s.mu.
func (s *Server) cancelLocked(ws *workspace, j *job) {
	now := s.now().UTC()
	j.Status, j.UpdatedAt = statusCancelRequested, now
	if r := s.runs[runKey(wsKey(ws.SubscriptionID, ws.ResourceGroup, ws.Name), j.Name)]; r != nil {
		r.stop(stopCanceled)
		return
	}
	j.Status, j.EndedAt = statusCanceled, now
}

// setStatus moves a job to a non-terminal status unless it was canceled
// meanwhile; it reports false when the run should stop.
func (s *Server) setStatus(wsk, name, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.job(wsk, name)
	if j == nil || j.Status == statusCancelRequested || terminal(j.Status) {
		return false
	}
	j.Status, j.UpdatedAt = status, s.now().UTC()
	if status == statusRunning {
		j.StartedAt = j.UpdatedAt
	}
	if err := s.saveLocked(); err != nil {
		s.log.Error().Err(err).Str("job", name).Msg("save job status")
	}
	s.log.Info().Str("job", name).Str("status", status).Msg("job status")
	return true
}

// finish records the terminal status of a run: the stop reason wins over
// the process outcome; code "" means success.
func (s *Server) finish(r *run, wsk, name, code, msg string) {
	status := statusCompleted
	switch r.stopped() {
	case stopCanceled:
		status, code, msg = statusCanceled, "", ""
	case stopClosing:
		status, code, msg = statusFailed, codeServiceError, "local stack stopped while the job was running; submit it again"
	case stopTimeout:
		status, code = statusFailed, codeUserError
		msg = "The job exceeded its limits.timeout and was stopped."
	default:
		if code != "" {
			status = statusFailed
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.runs, runKey(wsk, name))
	j := s.job(wsk, name)
	if j == nil {
		return
	}
	now := s.now().UTC()
	j.Status, j.ErrorCode, j.ErrorMessage, j.EndedAt, j.UpdatedAt = status, code, msg, now, now
	if err := s.saveLocked(); err != nil {
		s.log.Error().Err(err).Str("job", name).Msg("save job status")
	}
	ev := s.log.Info()
	if status == statusFailed {
		ev = s.log.Warn().Str("error", msg)
	}
	ev.Str("job", name).Str("status", status).Msg("job finished")
}

// job returns a job by workspace key and name. The caller holds s.mu.
func (s *Server) job(wsk, name string) *job {
	if ws := s.st.Workspaces[wsk]; ws != nil {
		return ws.Jobs[name]
	}
	return nil
}

// jobPlan is what execute needs, copied under the lock.
type jobPlan struct {
	name      string
	def       jobProps
	dir       string
	image     string
	container string
	conn      *connection
	inputs    []inputPlan
}

// execute runs a job to its end and returns an error code and message
// ("" on success).
func (s *Server) execute(ctx context.Context, r *run, wsk, name string) (string, string) {
	if !sleep(ctx, s.opts.QueueDelay) || !s.setStatus(wsk, name, statusQueued) {
		return "", ""
	}
	p, err := s.plan(wsk, name)
	if err != nil {
		return codeUserError, err.Error()
	}
	if !sleep(ctx, s.opts.QueueDelay) {
		return "", ""
	}
	if s.opts.CheckRegistry != nil {
		var target, user, pass string
		host := imageRegistry(p.image)
		if p.conn != nil {
			target, user, pass = p.conn.Target, p.conn.Username, p.conn.Password
		} else {
			target = "https://" + host
		}
		if err := s.opts.CheckRegistry(ctx, target, user, pass); err != nil {
			if ctx.Err() != nil {
				return "", ""
			}
			hint := "no workspace connection targets " + host + ": create a GenericContainerRegistry connection for it"
			if p.conn != nil {
				hint = "check the credentials of workspace connection " + p.conn.Name + " (GenericContainerRegistry, target " + p.conn.Target + ")"
			}
			return codeUserError, fmt.Sprintf("Failed to pull Docker image %s: %s; %s.", p.image, oneLine(err.Error(), 300), hint)
		}
	}
	if p.def.Limits != nil && p.def.Limits.Timeout != "" {
		if d, err := parseISODuration(p.def.Limits.Timeout); err == nil && d > 0 {
			t := time.AfterFunc(d, func() { r.stop(stopTimeout) })
			defer t.Stop()
		}
	}
	outputs, err := prepareOutputs(p)
	if err != nil {
		return codeServiceError, err.Error()
	}
	inputs, err := s.downloadInputs(ctx, p.dir, p.inputs)
	if err != nil {
		if ctx.Err() != nil {
			return "", ""
		}
		return codeUserError, oneLine(err.Error(), 1000)
	}
	code, msg := s.runProcess(ctx, wsk, name, p, inputs, outputs)
	if code != "" || r.stopped() != stopNone {
		return code, msg
	}
	if !s.setStatus(wsk, name, statusFinalizing) {
		return "", ""
	}
	if err := s.uploadOutputs(ctx, p.container, outputs); err != nil {
		return codeServiceError, "Output upload failed: " + oneLine(err.Error(), 500)
	}
	return "", ""
}

// plan copies what a run needs under the lock.
func (s *Server) plan(wsk, name string) (jobPlan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.st.Workspaces[wsk]
	j := s.job(wsk, name)
	if ws == nil || j == nil {
		return jobPlan{}, errors.New("job vanished")
	}
	envName, envVer, _ := parseEnvironmentID(ws, j.Def.EnvironmentID)
	e := ws.Environments[versionKey(envName, envVer)]
	if e == nil {
		return jobPlan{}, fmt.Errorf("environment %s version %s no longer exists", envName, envVer)
	}
	p := jobPlan{name: name, def: j.Def, dir: j.Dir, image: e.Image, container: s.container(ws)}
	// Outputs land in workspaceblobstore's container (the only datastore
	// output URIs may name), which a PUT may have replaced.
	if ds, ok := s.datastoreLocked(ws, defaultDatastore); ok {
		p.container = ds.ContainerName
	}
	inputs, err := s.planInputsLocked(ws, j.Def)
	if err != nil {
		return jobPlan{}, err
	}
	p.inputs = inputs
	if c := connectionFor(ws, e.Image); c != nil {
		cc := *c
		p.conn = &cc
	}
	p.def.EnvironmentVariables = maps.Clone(j.Def.EnvironmentVariables)
	return p, nil
}

// output is one named output's local path and blob destination.
type output struct {
	name   string
	local  string
	prefix string
	file   bool
}

// prepareOutputs creates the job folder and one local path per output.
func prepareOutputs(p jobPlan) ([]output, error) {
	for _, d := range []string{"wd", "user_logs", "outputs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(p.dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("create job folder: %w", err)
		}
	}
	var outs []output
	for _, name := range slices.Sorted(maps.Keys(p.def.Outputs)) {
		o := p.def.Outputs[name]
		prefix, ok := outputPath(o.URI, p.name, name)
		if !ok {
			return nil, fmt.Errorf("output %s: unsupported uri %s", name, o.URI)
		}
		out := output{name: name, prefix: prefix, file: o.JobOutputType == "uri_file"}
		base := filepath.Join(p.dir, "outputs", name)
		if err := os.MkdirAll(base, 0o700); err != nil {
			return nil, fmt.Errorf("create output folder: %w", err)
		}
		out.local = base
		if out.file {
			out.local = filepath.Join(base, filepath.Base(prefix))
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// sleep waits d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// oneLine flattens and bounds text for an error message.
func oneLine(s string, n int) string {
	return clip(strings.Join(strings.Fields(s), " "), n)
}

// resolveProgram maps a command's program to an executable.
func (s *Server) resolveProgram(prog string) (string, error) {
	if p, ok := s.opts.Executables[prog]; ok {
		return p, nil
	}
	if prog == "trainer" || strings.HasSuffix(prog, "/trainer") {
		if s.opts.TrainerPath == "" {
			return "", errors.New("the local stack has no trainer binary configured (build it with make build)")
		}
		return s.opts.TrainerPath, nil
	}
	return "", fmt.Errorf("the local stack runs only the trainer; the command starts with %q", clip(prog, 100))
}
