// Package azurite runs the npm-installed Azurite blob service for the local
// stack and for tests: over HTTPS with the devstack certificate, persisting
// in a given folder, on a loopback port, with the well-known development
// account. Install it with `npm install --prefix .tools azurite@3.37.0`.
package azurite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// The well-known development storage account every Azurite serves.
const (
	AccountName = "devstoreaccount1"
	AccountKey  = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// BinEnv names the environment variable that overrides the azurite-blob
// executable's path.
const BinEnv = "AZURITE_BIN"

// relBin is the executable's path below the repository root.
var relBin = filepath.Join(".tools", "node_modules", ".bin", "azurite-blob")

// listening matches Azurite's start-up line, which carries the bound URL.
var listening = regexp.MustCompile(`(?:listens on|listening at) (https?)://([0-9.]+):(\d+)`)

// Options configure Start.
type Options struct {
	// Dir is Azurite's workspace (--location); required.
	Dir string
	// Port is the blob port; 0 lets Azurite pick a free one.
	Port int
	// CertFile and KeyFile enable HTTPS (PEM); both or neither.
	CertFile, KeyFile string
	// Bin is the azurite-blob executable; empty means FindBin.
	Bin string
	// StartTimeout bounds the wait for Azurite to listen (default 60s).
	StartTimeout time.Duration
	// Log receives Azurite's output (default: discarded).
	Log io.Writer
}

// Process is a running Azurite blob service.
type Process struct {
	cmd      *exec.Cmd
	scheme   string
	port     int
	done     chan struct{}
	waitErr  error
	stopOnce sync.Once
}

// FindBin returns the azurite-blob executable: $AZURITE_BIN when set, else
// .tools/node_modules/.bin/azurite-blob below the first folder above the
// working directory (or above the running executable) that holds go.mod.
func FindBin() (string, error) {
	if b := os.Getenv(BinEnv); b != "" {
		return b, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				bin := filepath.Join(d, relBin)
				if _, err := os.Stat(bin); err == nil {
					return bin, nil
				}
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("azurite-blob not found: run `npm install --prefix .tools azurite@3.37.0` in the repository or set %s", BinEnv)
}

// Start launches azurite-blob and returns once it accepts requests. The
// caller must call Stop. ctx bounds only the start.
func Start(ctx context.Context, opts Options) (*Process, error) {
	if opts.Dir == "" {
		return nil, errors.New("azurite: Options.Dir is required")
	}
	if (opts.CertFile == "") != (opts.KeyFile == "") {
		return nil, errors.New("azurite: give both CertFile and KeyFile, or neither")
	}
	bin := opts.Bin
	if bin == "" {
		var err error
		if bin, err = FindBin(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create azurite folder: %w", err)
	}
	args := []string{
		"--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(opts.Port),
		"--location", opts.Dir, "--skipApiVersionCheck", "--disableTelemetry", "--silent",
	}
	if opts.CertFile != "" {
		// Bearer tokens (managed identity) need --oauth basic, which Azurite
		// allows over HTTPS only; shared keys keep working.
		args = append(args, "--cert", opts.CertFile, "--key", opts.KeyFile, "--oauth", "basic")
	}
	cmd := exec.Command(bin, args...)
	setProcAttr(cmd)
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	found := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logw, line)
			if m := listening.FindStringSubmatch(line); m != nil && !sent {
				found <- [2]string{m[1], m[3]}
				sent = true
			}
		}
		io.Copy(io.Discard, pr)
	}()
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case m := <-found:
		p.scheme = m[0]
		p.port, _ = strconv.Atoi(m[1])
	case <-p.done:
		return nil, fmt.Errorf("azurite exited before listening (%v); see its output, and check that port %d is free", p.waitErr, opts.Port)
	case <-timer.C:
		p.Stop()
		return nil, fmt.Errorf("azurite did not listen within %s", timeout)
	case <-ctx.Done():
		p.Stop()
		return nil, ctx.Err()
	}
	if err := p.waitReady(ctx, timer.C); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// waitReady dials until the port accepts connections (and, for HTTPS,
// completes a handshake).
func (p *Process) waitReady(ctx context.Context, deadline <-chan time.Time) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("azurite does not accept connections on %s: %w", addr, err)
		case <-p.done:
			return fmt.Errorf("azurite exited: %v", p.waitErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Port returns the blob service's port.
func (p *Process) Port() int { return p.port }

// BlobURL returns the account's blob endpoint, such as
// https://127.0.0.1:10000/devstoreaccount1 (path-style, as Azurite expects
// for IP hosts).
func (p *Process) BlobURL() string {
	return fmt.Sprintf("%s://127.0.0.1:%d/%s", p.scheme, p.port, AccountName)
}

// ConnectionString returns a connection string for the development account
// that azblob.NewClientFromConnectionString and the Functions host accept.
func (p *Process) ConnectionString() string {
	return fmt.Sprintf("DefaultEndpointsProtocol=%s;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;",
		p.scheme, AccountName, AccountKey, p.BlobURL())
}

// Stop terminates Azurite (SIGTERM, then SIGKILL after 5 s) and waits for
// it to exit. Calling Stop more than once is safe.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		terminate(p.cmd)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return nil
}

// Ping sends one request to the blob service with client and reports
// whether it answered (any HTTP status means it is up).
func (p *Process) Ping(ctx context.Context, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.BlobURL()+"?comp=properties&restype=service", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("azurite at %s: %w", p.BlobURL(), err)
	}
	resp.Body.Close()
	return nil
}
