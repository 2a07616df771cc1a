package infra

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeMasterKey is what the stub az returns as the master key; it must never
// show up in the output or on a command line.
const fakeMasterKey = "MASTERKEY-must-not-leak-0123456789"

// stubs writes executable shell stubs into a new PATH directory. Every stub
// appends its name and arguments to calls.log.
func stubs(t *testing.T, scripts map[string]string) (dir, log string) {
	t.Helper()
	dir = t.TempDir()
	log = filepath.Join(dir, "calls.log")
	for name, body := range scripts {
		src := "#!/usr/bin/env bash\nprintf '%s %s\\n' " + name + " \"$*\" >>" + log + "\n" + body + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, log
}

func needBash(t *testing.T) string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash is required to test the shell scripts: %v", err)
	}
	return bash
}

// deployStubs fakes terraform, az and curl for deploy/deploy.sh. curlStatus
// is the admin endpoint's answer; versions are the successive secret
// versions list-versions reports.
func deployStubs(t *testing.T, curlStatus string, versions ...string) (dir, log string) {
	t.Helper()
	state := t.TempDir()
	for i, v := range versions {
		if err := os.WriteFile(filepath.Join(state, "v"+string(rune('0'+i))), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return stubs(t, map[string]string{
		"terraform": `cat <<'JSON'
{
  "function_app_hostname": {"sensitive": false, "type": "string", "value": "fb-func.azurewebsites.net"},
  "function_app_name": {"sensitive": false, "type": "string", "value": "fb-func"},
  "key_vault_name": {"sensitive": false, "type": "string", "value": "fb-kv"},
  "resource_group_name": {"sensitive": false, "type": "string", "value": "rg-fb"},
  "deployer": {"sensitive": false, "type": ["list", "string"], "value": ["1.2.3.4/32"]}
}
JSON`,
		"az": `case "$*" in
  "functionapp keys list"*) echo "` + fakeMasterKey + `" ;;
  "functionapp config appsettings list"*) echo "artifactory-access-token-secret" ;;
  "keyvault secret list-versions"*)
    n=$(cat "` + state + `/n" 2>/dev/null || echo 0)
    f="` + state + `/v$n"; [ -f "$f" ] || f="` + state + `/v$((n-1))"
    [ -f "$f" ] && cat "$f"; echo $((n+1)) > "` + state + `/n" ;;
esac
exit 0`,
		"curl": `for a in "$@"; do case "$a" in @*) grep -q "x-functions-key: ` + fakeMasterKey + `" "${a#@}" && echo "curl header-ok" >>"$(dirname "$0")/calls.log";; esac; done
printf '%s' "` + curlStatus + `"`,
	})
}

func runScript(t *testing.T, pathDir, script string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(needBash(t), append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+pathDir+":/usr/bin:/bin")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

func TestDeployScript(t *testing.T) {
	pkg := filepath.Join(t.TempDir(), "functionapp.zip")
	if err := os.WriteFile(pkg, []byte("PK"), 0o644); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs(deployDir + "/deploy.sh")
	tests := []struct {
		name     string
		status   string
		versions []string
		args     []string
		ok       bool
		output   string
	}{
		{"new version", "202", []string{"https://fb-kv/secrets/s/v1", "https://fb-kv/secrets/s/v2"}, nil, true, "holds a new version of artifactory-access-token-secret: v2"},
		{"first token", "202", []string{"", "https://fb-kv/secrets/s/v1"}, nil, true, "new version"},
		{"still fresh", "202", []string{"https://fb-kv/secrets/s/v1"}, []string{"--wait", "0"}, true, "still holds v1"},
		{"no token", "202", []string{""}, []string{"--wait", "0"}, false, "holds no artifactory-access-token-secret"},
		{"function missing", "404", nil, nil, false, "function.json"},
		{"key refused", "401", nil, nil, false, "refused the master key"},
		{"no rotate", "202", nil, []string{"--no-rotate"}, true, "rotation skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, log := deployStubs(t, tt.status, tt.versions...)
			args := append([]string{"--package", pkg, "--tf-dir", t.TempDir()}, tt.args...)
			out, err := runScript(t, dir, script, args...)
			if (err == nil) != tt.ok {
				t.Fatalf("exit error = %v, want ok = %v\n%s", err, tt.ok, out)
			}
			if !strings.Contains(out, tt.output) {
				t.Errorf("output lacks %q:\n%s", tt.output, out)
			}
			calls, _ := os.ReadFile(log)
			if strings.Contains(out, fakeMasterKey) || strings.Contains(string(calls), fakeMasterKey) {
				t.Errorf("the master key leaked into the output or a command line")
			}
			want := "az functionapp deploy --resource-group rg-fb --name fb-func --src-path " + pkg + " --type zip"
			if !strings.Contains(string(calls), want) {
				t.Errorf("calls lack %q:\n%s", want, calls)
			}
			if tt.status == "" || contains(tt.args, "--no-rotate") {
				if strings.Contains(string(calls), "curl") {
					t.Errorf("curl called with --no-rotate")
				}
				return
			}
			for _, w := range []string{"--request POST https://fb-func.azurewebsites.net/admin/functions/KeyVaultSecretRotation", "curl header-ok"} {
				if !strings.Contains(string(calls), w) {
					t.Errorf("calls lack %q:\n%s", w, calls)
				}
			}
		})
	}

	t.Run("missing package", func(t *testing.T) {
		dir, _ := deployStubs(t, "202")
		out, err := runScript(t, dir, script, "--package", filepath.Join(t.TempDir(), "none.zip"))
		if err == nil || !strings.Contains(out, "make package") {
			t.Errorf("want a failure naming make package, got %v:\n%s", err, out)
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestBuildScript(t *testing.T) {
	script, _ := filepath.Abs(dockerDir + "/build.sh")
	netrc := filepath.Join(t.TempDir(), "netrc")
	const secret = "NETRC-SECRET-VALUE"
	if err := os.WriteFile(netrc, []byte("machine h login u password "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		args []string
		ok   bool
		want []string
	}{
		{
			name: "push",
			env:  []string{"ARTIFACTORY_HOST=acme.jfrog.io", "ARTIFACTORY_DOCKER_REPO=docker-local", "GOPROXY_URL=https://acme.jfrog.io/artifactory/api/go/go-remote"},
			args: []string{"--netrc", netrc, "--tag", "1.2.3"},
			ok:   true,
			want: []string{"--secret id=goproxy-netrc,src=" + netrc, "--tag acme.jfrog.io/docker-local/azureml-training:1.2.3", "--push", "--build-arg GO_IMAGE=acme.jfrog.io/docker-remote/"},
		},
		{
			name: "no netrc",
			env:  []string{"ARTIFACTORY_HOST=acme.jfrog.io", "ARTIFACTORY_DOCKER_REPO=docker-local", "GOPROXY_URL=https://acme.jfrog.io/go"},
			args: []string{"--tag", "1"},
			want: []string{"--netrc FILE is required"},
		},
		{
			name: "credentials in proxy url",
			env:  []string{"ARTIFACTORY_HOST=acme.jfrog.io", "ARTIFACTORY_DOCKER_REPO=docker-local", "GOPROXY_URL=https://u:p@acme.jfrog.io/go"},
			args: []string{"--netrc", netrc},
			want: []string{"must not carry credentials"},
		},
		{
			name: "host with scheme",
			env:  []string{"ARTIFACTORY_HOST=https://acme.jfrog.io", "ARTIFACTORY_DOCKER_REPO=docker-local", "GOPROXY_URL=https://acme.jfrog.io/go"},
			args: []string{"--netrc", netrc},
			want: []string{"without scheme"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, log := stubs(t, map[string]string{"docker": "exit 0", "git": "exit 1"})
			cmd := exec.Command(needBash(t), append([]string{script}, tt.args...)...)
			cmd.Env = append([]string{"PATH=" + dir + ":/usr/bin:/bin", "HOME=" + t.TempDir()}, tt.env...)
			out, err := cmd.CombinedOutput()
			if (err == nil) != tt.ok {
				t.Fatalf("exit error = %v, want ok = %v\n%s", err, tt.ok, out)
			}
			calls, _ := os.ReadFile(log)
			text := string(out) + string(calls)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
			if strings.Contains(text, secret) {
				t.Error("the netrc content leaked into a command line or the output")
			}
		})
	}
}
