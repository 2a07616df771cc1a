//go:build linux

package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/testbin"
)

// productionSettings is a complete, valid configuration of every function,
// as a deployed app has it. Nothing is contacted at start, so the
// endpoints need not answer.
var productionSettings = []string{
	"KEY_VAULT_NAME=frogbridge-kv",
	"ARTIFACTORY_URL=https://example.jfrog.io",
	"JFROG_OIDC_PROVIDER_NAME=azure-functions",
	"AZURE_AD_TOKEN_AUDIENCE=api://4a2d7c9e-0b1f-4c3e-9a5d-6f7e8d9c0b1a",
	"UAMI_CLIENT_ID=0f1e2d3c-4b5a-4968-8776-655443322110",
	"ROTATION_SCHEDULE=0 0 */2 * * *",
	"AzureWebJobsStorage__accountName=frogbridgefuncs",
	"AzureWebJobsStorage__clientId=0f1e2d3c-4b5a-4968-8776-655443322110",
	"AZURE_SUBSCRIPTION_ID=11111111-2222-4333-8444-555555555555",
	"AZURE_RESOURCE_GROUP=rg-frogbridge",
	"AZUREML_WORKSPACE_NAME=mlw-frogbridge",
	"AZUREML_COMPUTE_NAME=cpu-cluster",
	"ARTIFACTORY_HOST=example.jfrog.io",
	"ARTIFACTORY_DOCKER_REPO=docker-local",
	"ARTIFACTORY_ML_REPO=ml-local",
	"AZUREML_COMPUTE_CLIENT_ID=99999999-8888-4777-8666-555555555555",
	// the managed identity endpoint of App Service and Functions
	"IDENTITY_ENDPOINT=http://127.0.0.1:41741/msi/token",
	"IDENTITY_HEADER=unused",
}

// pollInterval is the pause between two probes of a starting server.
const pollInterval = 50 * time.Microsecond

// BenchmarkColdStart measures the handler binary from exec to its first
// answered GET / (the host's readiness ping), with every function
// configured (as deployed) and with none, and the resident memory of each
// binary once idle. Goals: handler (every function configured) at most
// 1.25× sdkfloor's median in the same run, idle RSS at most 20 MiB.
//
// Beside it run the references built from bench/coldstart: hello, a bare
// net/http server (no Go handler starts faster); sdkfloor, the same server
// linked with the Azure SDK packages, zerolog and golang-jwt that the
// handler needs; sdkblob, sdkfloor plus the azblob packages the handler
// uses (their distance is what azblob's package initialization costs).
// Starts are interleaved and the order rotates every round, so the
// machine's drift falls on all alike.
//
// The harness keeps its own cost small: each probe is a raw
// TCP connect and GET / made with blocking system calls on a locked thread
// (no HTTP client, no netpoller), and the pause between probes is a
// nanosleep of pollInterval (time.Sleep(200 µs) takes about 1.08 ms: the Go
// timer rounds sub-millisecond sleeps up to a millisecond). The harness measures
// its own floor in the same run: answer-at-once, a 198-byte static server
// with no runtime (coldstart_floor_amd64_test.go), timed exactly like the
// others, and the mean interval between probes. Both are reported.
func BenchmarkColdStart(b *testing.B) {
	type target struct {
		name     string
		exe      func(port int) string
		settings []string
		starts   []time.Duration
		execs    []time.Duration
		rssKiB   int
	}
	fixed := func(exe string) func(int) string { return func(int) string { return exe } }
	handler := testbin.Path(b, "handler")
	targets := []*target{
		{name: "configured", exe: fixed(handler), settings: productionSettings},
		{name: "unconfigured", exe: fixed(handler)},
		{name: "hello", exe: fixed(buildReference(b, "hello"))},
		{name: "sdkfloor", exe: fixed(buildReference(b, "sdkfloor"))},
		{name: "sdkblob", exe: fixed(buildReference(b, "sdkblob"))},
	}
	if answerAtOnce(b, 1) != "" {
		targets = append(targets, &target{name: "harness", exe: func(port int) string { return answerAtOnce(b, port) }})
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var probes int
	var probing time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range targets {
			t := targets[(i+j)%len(targets)]
			port := freeTCPPort(b)
			exe := t.exe(port)
			s, err := coldStart(exe, port, t.settings)
			if err != nil {
				b.Fatalf("%s: %v", t.name, err)
			}
			t.starts = append(t.starts, s.answered)
			t.execs = append(t.execs, s.started)
			probes += s.probes
			probing += s.answered - s.started
			if i == 0 {
				time.Sleep(300 * time.Millisecond)
				t.rssKiB = vmRSS(b, s.cmd.Process.Pid)
			}
			s.cmd.Process.Signal(os.Interrupt)
			s.cmd.Wait()
		}
	}
	b.StopTimer()
	for _, t := range targets {
		b.ReportMetric(median(t.starts), t.name+"-median-ms")
		b.ReportMetric(float64(t.rssKiB)/1024, t.name+"-RSS-MiB")
		if t.name == "harness" {
			b.ReportMetric(median(t.execs), "harness-exec-ms")
		}
	}
	b.ReportMetric(float64(probing.Microseconds())/1000/float64(probes), "probe-interval-ms")
}

// start is one measured cold start.
type start struct {
	cmd      *exec.Cmd
	started  time.Duration // exec returned (the child runs)
	answered time.Duration // the first probe was answered
	probes   int
}

// coldStart execs exe with settings and probes 127.0.0.1:port until GET /
// is answered. The caller stops the process.
func coldStart(exe string, port int, settings []string) (start, error) {
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), settings...), "FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port))
	addr := &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	pause := syscall.NsecToTimespec(pollInterval.Nanoseconds())
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return start{}, err
	}
	s := start{cmd: cmd, started: time.Since(t0)}
	for {
		s.probes++
		ok, err := probe(addr)
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return s, err
		}
		if ok {
			s.answered = time.Since(t0)
			return s, nil
		}
		if time.Since(t0) > 10*time.Second {
			cmd.Process.Kill()
			cmd.Wait()
			return s, errors.New("no answer within 10 s")
		}
		syscall.Nanosleep(&pause, nil)
	}
}

var getRoot = []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")

// probe connects to addr and sends GET /. It reports whether an HTTP status
// line came back; a refused or reset connection is "not yet".
func probe(addr *syscall.SockaddrInet4) (bool, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return false, err
	}
	defer syscall.Close(fd)
	timeout := syscall.Timeval{Sec: 10}
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &timeout); err != nil {
		return false, err
	}
	if err := syscall.Connect(fd, addr); err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return false, nil
		}
		return false, err
	}
	if _, err := syscall.Write(fd, getRoot); err != nil {
		return false, nil
	}
	var buf [16]byte
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if errors.Is(err, syscall.ECONNRESET) || err == nil && m == 0 {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		n += m
	}
	if !strings.HasPrefix(string(buf[:n]), "HTTP/1.") {
		return false, fmt.Errorf("GET / answered %q", buf[:n])
	}
	return true, nil
}

// buildReference builds bench/coldstart/<name> the way the Makefile builds
// the handler (static, trimmed, stripped).
func buildReference(b *testing.B, name string) string {
	exe := filepath.Join(b.TempDir(), name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", exe, "../bench/coldstart/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build the %s reference: %v\n%s", name, err, out)
	}
	return exe
}

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}

func freeTCPPort(b *testing.B) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func vmRSS(b *testing.B, pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			n, _ := strconv.Atoi(f[0])
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
