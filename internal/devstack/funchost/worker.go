package funchost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// Supervision limits, as the Functions host applies them.
const (
	readyPoll          = 25 * time.Millisecond
	readyTimeout       = 30 * time.Second
	intentionalRestart = 200
	errorThreshold     = 3
	errorWindow        = 30 * time.Minute
	stopGrace          = 30 * time.Second
)

// worker runs the custom handler process and restarts it when it dies.
type worker struct {
	exe  string
	dir  string
	env  []string
	log  zerolog.Logger
	out  io.Writer
	errw io.Writer

	mu    sync.Mutex
	port  int
	ready chan struct{} // closed while a started process answers GET /
}

// baseURL returns the current process's address, waiting until it is
// ready or ctx ends.
func (w *worker) baseURL(ctx context.Context) (string, error) {
	w.mu.Lock()
	ready, port := w.ready, w.port
	w.mu.Unlock()
	select {
	case <-ready:
		return "http://127.0.0.1:" + strconv.Itoa(port), nil
	case <-ctx.Done():
		return "", fmt.Errorf("custom handler is not ready: %w", ctx.Err())
	}
}

// run starts the handler and keeps it running until ctx ends. It returns
// an error when the handler fails too often, as the host shuts down then.
func (w *worker) run(ctx context.Context, started chan<- error) error {
	var failures []time.Time
	first := true
	for {
		proc, err := w.start(ctx)
		if first {
			started <- err
			first = false
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			w.stop(proc)
			return nil
		case exit := <-proc.exited:
			w.mu.Lock()
			w.ready = make(chan struct{})
			w.mu.Unlock()
			code := exitCode(exit)
			if code == intentionalRestart {
				w.log.Info().Int("exit_code", code).Msg("custom handler asked for a restart")
				continue
			}
			now := time.Now()
			failures = append(failures, now)
			for len(failures) > 0 && now.Sub(failures[0]) > errorWindow {
				failures = failures[1:]
			}
			w.log.Error().Int("exit_code", code).Str("last_stderr", proc.tail()).Msg("custom handler exited; restarting")
			if len(failures) >= errorThreshold {
				return fmt.Errorf("custom handler exited %d times within %s; giving up like the Functions host does", len(failures), errorWindow)
			}
		}
	}
}

type process struct {
	cmd    *exec.Cmd
	exited chan error
	stderr *tailWriter
}

func (p *process) tail() string { return p.stderr.String() }

func (w *worker) start(ctx context.Context) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(w.exe)
	cmd.Dir = w.dir
	cmd.Env = append(append([]string(nil), w.env...),
		"FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port),
		"FUNCTIONS_HTTPWORKER_PORT="+strconv.Itoa(port),
		"FUNCTIONS_CUSTOMHANDLER_WORKER_ID="+newID(),
		"FUNCTIONS_APP_ROOT_PATH="+w.dir,
	)
	tail := &tailWriter{max: 4096}
	cmd.Stdout = w.out
	cmd.Stderr = io.MultiWriter(w.errw, tail)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start custom handler %s (defaultExecutablePath in host.json; is it executable?): %w", w.exe, err)
	}
	p := &process{cmd: cmd, exited: make(chan error, 1), stderr: tail}
	go func() { p.exited <- cmd.Wait() }()
	start := time.Now()
	if err := waitReady(ctx, port, p.exited); err != nil {
		w.stop(p)
		return nil, fmt.Errorf("initializing the custom handler failed after %s: %w (last stderr: %s)", time.Since(start).Round(time.Millisecond), err, tail.String())
	}
	w.mu.Lock()
	w.port = port
	close(w.ready)
	w.mu.Unlock()
	w.log.Info().Int("pid", cmd.Process.Pid).Int("port", port).Dur("startup", time.Since(start)).Msg("custom handler ready")
	return p, nil
}

// waitReady polls GET / until any HTTP answer, as the host does.
func waitReady(ctx context.Context, port int, exited <-chan error) error {
	client := &http.Client{Timeout: time.Second}
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("process exited with code %d before listening on FUNCTIONS_CUSTOMHANDLER_PORT", exitCode(err))
		case <-deadline.C:
			return fmt.Errorf("no answer on 127.0.0.1:%d within %s (does the handler listen on FUNCTIONS_CUSTOMHANDLER_PORT?)", port, readyTimeout)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM to the handler's process group and kills it after
// stopGrace.
func (w *worker) stop(p *process) {
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.exited
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tailWriter keeps the last max bytes written, for exit messages.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	t.mu.Unlock()
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func executablePath(appDir, exe string) string {
	p := filepath.Join(appDir, filepath.FromSlash(exe))
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return exe // a command on PATH, as the host allows
}
