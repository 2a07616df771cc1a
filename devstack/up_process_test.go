package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/envfile"
)

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// devstackBinary builds this command once per test run.
func devstackBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "devstack-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(dir, "devstack")
		out, err := exec.Command("go", "build", "-o", buildBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

type upProcess struct {
	cmd  *exec.Cmd
	env  map[string]string
	done chan error
	errs *syncBuffer
}

func execUp(t *testing.T, data string) *upProcess {
	t.Helper()
	envPath := filepath.Join(t.TempDir(), "devstack.env")
	p := &upProcess{done: make(chan error, 1), errs: &syncBuffer{}}
	p.cmd = exec.Command(devstackBinary(t), "up", "--data", data, "--env-file", envPath)
	p.cmd.Stdout = io.Discard
	p.cmd.Stderr = p.errs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	deadline := time.After(90 * time.Second)
	for {
		if b, err := os.ReadFile(envPath); err == nil {
			if p.env, err = envfile.Parse(bytes.NewReader(b)); err != nil {
				t.Fatal(err)
			}
			return p
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("devstack up exited early (%v):\n%s", err, p.errs.String())
		case <-deadline:
			t.Fatalf("no env file after 90s:\n%s", p.errs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// token fetches a Key Vault token for the function-app identity straight
// from IDENTITY_ENDPOINT, as the platform protocol describes.
func (p *upProcess) token(t *testing.T) string {
	t.Helper()
	return vaultToken(t, p.env)
}

// vaultToken asks IDENTITY_ENDPOINT for a function-app Key Vault token.
// Raw HTTP keeps MSAL's process-wide cache out of tests that restart the
// stack.
func vaultToken(t *testing.T, env map[string]string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env["IDENTITY_ENDPOINT"]+"?api-version=2019-08-01&resource="+url.QueryEscape("https://vault.azure.net"), nil)
	req.Header.Set("X-IDENTITY-HEADER", env["IDENTITY_HEADER"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

func portClosed(addr string) bool {
	for i := 0; i < 50; i++ {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return true
		}
		c.Close()
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

func azuriteAddr(t *testing.T, env map[string]string) string {
	t.Helper()
	for _, part := range strings.Split(env["AzureWebJobsStorage"], ";") {
		if v, ok := strings.CutPrefix(part, "BlobEndpoint="); ok {
			u, err := url.Parse(v)
			if err != nil {
				t.Fatal(err)
			}
			return u.Host
		}
	}
	t.Fatal("no BlobEndpoint in AzureWebJobsStorage")
	return ""
}

// TestUpKilledDuringWritesThenTerminated kills devstack up with SIGKILL
// while a client writes secrets, restarts it on the same data folder, checks
// every acknowledged version, then stops it with SIGTERM.
func TestUpKilledDuringWritesThenTerminated(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	first := execUp(t, data)
	client := caClient(t, first.env["SSL_CERT_FILE"])
	tok := first.token(t)

	type ack struct{ name, version, value string }
	acks := make(chan ack, 1000)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("crash-%d", i%3)
				value := fmt.Sprintf("writer-%d-round-%d-%s", w, i, strings.Repeat("x", 4000))
				body, _ := json.Marshal(map[string]string{"value": value})
				req, _ := http.NewRequest(http.MethodPut, first.env["KEY_VAULT_URL"]+"/secrets/"+name+"?api-version=7.5", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return // the server died mid-request: not acknowledged
				}
				var bundle struct{ ID string }
				err = json.NewDecoder(resp.Body).Decode(&bundle)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					return
				}
				acks <- ack{name, bundle.ID[strings.LastIndex(bundle.ID, "/")+1:], value}
			}
		}(w)
	}
	var got []ack
	for len(got) < 40 {
		select {
		case a := <-acks:
			got = append(got, a)
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d writes acknowledged", len(got))
		}
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	first.done <- nil
	close(stop)
	wg.Wait()
	close(acks)
	for a := range acks {
		got = append(got, a)
	}
	if !portClosed(azuriteAddr(t, first.env)) {
		t.Error("azurite outlived a killed devstack")
	}

	second := execUp(t, data)
	client = caClient(t, second.env["SSL_CERT_FILE"])
	tok = second.token(t)
	for _, a := range got {
		req, _ := http.NewRequest(http.MethodGet, second.env["KEY_VAULT_URL"]+"/secrets/"+a.name+"/"+a.version+"?api-version=7.5", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var bundle struct{ Value string }
		json.NewDecoder(resp.Body).Decode(&bundle)
		resp.Body.Close()
		if resp.StatusCode != 200 || bundle.Value != a.value {
			t.Fatalf("acknowledged %s/%s: %d, value intact %v", a.name, a.version, resp.StatusCode, bundle.Value == a.value)
		}
	}
	t.Logf("%d acknowledged writes survived SIGKILL", len(got))

	if second.env["AZURE_TENANT_ID"] != first.env["AZURE_TENANT_ID"] || second.env["JFROG_ADMIN_TOKEN"] != first.env["JFROG_ADMIN_TOKEN"] ||
		second.env["DEVSTACK_FUNCTION_APP_OBJECT_ID"] != first.env["DEVSTACK_FUNCTION_APP_OBJECT_ID"] {
		t.Error("tenant, identities or JFrog admin token changed across the restart")
	}
	// Provisioning follows the new (random) issuer port.
	req, _ := http.NewRequest(http.MethodGet, second.env["ARTIFACTORY_URL"]+"/access/api/v1/oidc/"+second.env["JFROG_OIDC_PROVIDER_NAME"], nil)
	req.Header.Set("Authorization", "Bearer "+second.env["JFROG_ADMIN_TOKEN"])
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var provider struct {
		IssuerURL string `json:"issuer_url"`
	}
	json.NewDecoder(resp.Body).Decode(&provider)
	resp.Body.Close()
	if resp.StatusCode != 200 || provider.IssuerURL != second.env["DEVSTACK_ENTRA_ISSUER"] {
		t.Errorf("provider after restart: %d issuer %q, want %q", resp.StatusCode, provider.IssuerURL, second.env["DEVSTACK_ENTRA_ISSUER"])
	}

	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-second.done:
		second.done <- err
		if err != nil {
			t.Errorf("devstack up after SIGTERM: %v\n%s", err, second.errs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("devstack up did not stop within 20s of SIGTERM")
	}
	if !portClosed(azuriteAddr(t, second.env)) {
		t.Error("azurite still listens after devstack stopped")
	}
}
