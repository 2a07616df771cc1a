package localazureml

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// tailSize is how much of the end of stderr is kept for the error message.
const tailSize = 8 << 10

// runProcess runs the job's command and returns an error code and message
// ("" when it exited 0 or was stopped).
// inputs are the values of ${{inputs.<name>}}: literals, and the local
// paths of downloaded uri_file and uri_folder inputs.
func (s *Server) runProcess(ctx context.Context, wsk, name string, p jobPlan, inputs map[string]string, outputs []output) (string, string) {
	outPaths := map[string]string{}
	for _, o := range outputs {
		outPaths[o.name] = o.local
	}
	env := s.jobEnv(name, p, inputs, outPaths)
	lookup := func(k string) string { return envValue(env, k) }
	argv, err := splitCommand(normalizeExpressions(p.def.Command), lookup)
	if err != nil {
		return codeUserError, "properties.command: " + err.Error()
	}
	for i := range argv {
		argv[i] = resolveExpressions(argv[i], inputs, outPaths)
	}
	prog, err := s.resolveProgram(argv[0])
	if err != nil {
		return codeUserError, err.Error()
	}
	if n := p.def.worldSize(); n > 1 {
		return s.runRanks(ctx, wsk, name, p, prog, argv, env, n)
	}
	logf, err := os.OpenFile(filepath.Join(p.dir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return codeServiceError, fmt.Sprintf("open job log: %v", err)
	}
	defer logf.Close()
	tail := &tailBuffer{max: tailSize}
	cmd := exec.CommandContext(ctx, prog, argv[1:]...)
	cmd.Dir = filepath.Join(p.dir, "wd")
	cmd.Env = env
	cmd.Stdout = logf
	cmd.Stderr = &teeWriter{a: logf, b: tail}
	setProcessGroup(cmd)
	cmd.Cancel = func() error { return signalGroup(cmd, false) }
	cmd.WaitDelay = stopGrace
	if err := cmd.Start(); err != nil {
		return codeUserError, fmt.Sprintf("Execution failed: could not start %s: %v", argv[0], err)
	}
	if !s.setStatus(wsk, name, statusRunning) {
		_ = signalGroup(cmd, true)
	}
	werr := cmd.Wait()
	if ctx.Err() != nil {
		_ = signalGroup(cmd, true) // whatever the stopped process left behind
		return "", ""
	}
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		return codeUserError, fmt.Sprintf("Execution failed. User process '%s' exited with status code %d. Please check log file '%s' for error details. Error: %s",
			argv[0], ee.ExitCode(), logFile, tail.lastLines(5, 1500))
	}
	if werr != nil {
		return codeServiceError, fmt.Sprintf("Execution failed: %v", werr)
	}
	return "", ""
}

// jobEnv builds the process environment: ComputeEnv, then the job's
// environmentVariables, then the AzureML runtime variables.
func (s *Server) jobEnv(name string, p jobPlan, inputs, outputs map[string]string) []string {
	var env []string
	add := func(m map[string]string) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			env = append(env, k+"="+m[k])
		}
	}
	add(s.opts.ComputeEnv)
	add(p.def.EnvironmentVariables)
	rt := map[string]string{"AZUREML_RUN_ID": name, "TMPDIR": filepath.Join(p.dir, "tmp")}
	for k, v := range inputs {
		rt["AZURE_ML_INPUT_"+k] = v
	}
	for k, v := range outputs {
		rt["AZURE_ML_OUTPUT_"+k] = v
	}
	add(rt)
	return env
}

// envValue returns the last value of key in env.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// lastLines returns up to n last non-empty lines joined with " | ", at
// most limit bytes.
func (t *tailBuffer) lastLines(n, limit int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lines []string
	for _, l := range strings.Split(string(t.buf), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "(no output on stderr)"
	}
	return clip(strings.Join(lines, " | "), limit)
}

// teeWriter writes to a and b; b's errors are ignored.
type teeWriter struct {
	a, b interface{ Write([]byte) (int, error) }
}

func (w *teeWriter) Write(p []byte) (int, error) {
	_, _ = w.b.Write(p)
	return w.a.Write(p)
}
