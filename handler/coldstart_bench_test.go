package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// BenchmarkColdStart measures the handler binary from exec to its first
// answered GET / (the host's readiness ping), with every function
// configured (as deployed) and with none, and its resident memory once
// idle. Goals: median cold start at most 15 ms, idle RSS at most 20 MiB.
//
// Beside it, the same measurement runs two references built from
// bench/coldstart: hello, a bare net/http server (no Go handler starts
// faster), and sdkfloor, the same server linked with the Azure SDK packages,
// zerolog and golang-jwt that the handler needs. Starts are interleaved, so
// the machine's drift falls on all four alike.
func BenchmarkColdStart(b *testing.B) {
	type target struct {
		name     string
		exe      string
		settings []string
		starts   []time.Duration
	}
	handler := testbin.Path(b, "handler")
	targets := []*target{
		{name: "configured", exe: handler, settings: productionSettings},
		{name: "unconfigured", exe: handler},
		{name: "hello", exe: buildReference(b, "hello")},
		{name: "sdkfloor", exe: buildReference(b, "sdkfloor")},
	}
	client := &http.Client{Timeout: time.Second}
	var rssKiB int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, t := range targets {
			d, pid, stop := coldStart(b, client, t.exe, t.settings)
			t.starts = append(t.starts, d)
			if i == 0 && t.name == "configured" {
				time.Sleep(300 * time.Millisecond)
				rssKiB = vmRSS(b, pid)
			}
			stop()
		}
	}
	for _, t := range targets {
		b.ReportMetric(median(t.starts), t.name+"-median-ms")
	}
	b.ReportMetric(float64(rssKiB)/1024, "idle-RSS-MiB")
}

// coldStart starts exe with settings and returns the time to its first
// answered GET /, its pid and a function that stops it.
func coldStart(b *testing.B, client *http.Client, exe string, settings []string) (time.Duration, int, func()) {
	port := freeTCPPort(b)
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), settings...), "FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port))
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Since(t0) > 10*time.Second {
			cmd.Process.Kill()
			b.Fatalf("%s did not answer within 10 s", exe)
		}
		time.Sleep(200 * time.Microsecond)
	}
	d := time.Since(t0)
	return d, cmd.Process.Pid, func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
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
