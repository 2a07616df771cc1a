package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
)

// runCLI runs `trainer args...` in a child process with only env (and PATH,
// HOME) set, as a training image runs it.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), childArgs + "=" + string(raw)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// TestEntityCLIWithJFrogToken pushes, lists and pulls datasets and models
// with JF_URL and JF_ACCESS_TOKEN, as frogml reads them, in a fresh process.
func TestEntityCLIWithJFrogToken(t *testing.T) {
	s := newTestStack(t)
	tok, _ := s.issueToken(t)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.jfSrv.Certificate().Raw}), 0o600)
	env := map[string]string{config.EnvJFrogURL: s.jfSrv.URL + "/artifactory", config.EnvJFrogToken: tok.Reveal(), jobspec.EnvMLRepo: testMLRepo, "SSL_CERT_FILE": ca}

	data := filepath.Join(dir, "data")
	os.MkdirAll(filepath.Join(data, "train", ".git"), 0o755)
	os.WriteFile(filepath.Join(data, "train", "part-0.csv"), []byte("a,label\n1,x\n2,y\n3,x\n4,y\n5,x\n6,y\n"), 0o644)
	os.WriteFile(filepath.Join(data, "train", ".git", "HEAD"), []byte("ref"), 0o644)
	extra := filepath.Join(dir, "README.txt")
	os.WriteFile(extra, []byte("about"), 0o644)

	code, stdout, stderr := runCLI(t, env, "dataset", "push", "--name", "tiny", "--version", "1", "--property", "owner=ml-team", "--json", data, extra)
	var pushed pushResult
	if code != exitOK || json.Unmarshal([]byte(stdout), &pushed) != nil || pushed.Files != 2 || pushed.Version != "1" || !strings.Contains(pushed.URL, "/dataset/entity-manifest/tiny/1") {
		t.Fatalf("push: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, env, "dataset", "list", "--name", "tiny", "--json")
	var listed []listedVersion
	if code != exitOK || json.Unmarshal([]byte(stdout), &listed) != nil || len(listed) != 1 || listed[0].Version != "1" {
		t.Fatalf("list: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	dest := filepath.Join(dir, "pulled")
	code, stdout, stderr = runCLI(t, env, "dataset", "pull", "--name", "tiny", "--version", "latest", "--dir", dest, "--json")
	var pulled pullResult
	if code != exitOK || json.Unmarshal([]byte(stdout), &pulled) != nil || len(pulled.Files) != 2 || pulled.Version != "1" {
		t.Fatalf("pull: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "train", "part-0.csv")); !strings.HasPrefix(string(b), "a,label\n1,x\n") {
		t.Fatalf("pulled %q", b)
	}
	if _, err := os.Stat(filepath.Join(dest, "train", ".git")); err == nil {
		t.Fatal("frogml's skipped names were pushed")
	}
	t.Run("pull into a non-empty folder fails and leaves it", func(t *testing.T) {
		code, _, stderr := runCLI(t, env, "dataset", "pull", "--name", "tiny", "--version", "1", "--dir", dest)
		if code != exitFailure || !strings.Contains(stderr, "is not empty") || strings.Count(stderr, "\n") != 1 {
			t.Fatalf("exit %d: %q", code, stderr)
		}
	})
	t.Run("the pulled dataset trains", func(t *testing.T) {
		if code, _, stderr := runArgs(t, "train", "--data", filepath.Join(dest, "train"), "--output-dir", filepath.Join(dir, "out"), "--test-size", "0.5", "--n-estimators", "3"); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
	t.Run("model push and pull", func(t *testing.T) {
		model := filepath.Join(dir, "model.onnx")
		os.WriteFile(model, []byte("onnx bytes"), 0o644)
		if code, _, stderr := runCLI(t, env, "model", "push", "--name", "any-image-model", "--version", "2", model); code != exitOK {
			t.Fatalf("push: exit %d: %s", code, stderr)
		}
		code, stdout, stderr := runCLI(t, env, "model", "pull", "--name", "any-image-model", "--version", "2", "--dir", filepath.Join(dir, "m"), "--json")
		if code != exitOK || !strings.Contains(stdout, `"path":"model.onnx"`) {
			t.Fatalf("pull: exit %d %q %q", code, stdout, stderr)
		}
		m, err := s.jfClient(t).GetModelManifest(context.Background(), tok, jfrog.ModelRef{Repo: testMLRepo, Name: "any-image-model", Version: "2"})
		if err != nil || m.ModelFormat == nil || m.ModelFormat.Framework != "files" || m.ModelFormat.SerializationFormat != "onnx" {
			t.Fatalf("manifest %+v %v", m.ModelFormat, err)
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"dataset"},
			{"dataset", "fetch"},
			{"dataset", "push", "--name", "x"},
			{"dataset", "push", "--name", "bad name", data},
			{"dataset", "push", "--name", "x", "--property", "novalue", data},
			{"model", "pull", "--name", "x", "--version", "1"},
			{"model", "list"},
		} {
			if code, _, stderr := runArgs(t, args...); code != exitUsage || stderr == "" {
				t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
			}
		}
		code, _, stderr := runCLI(t, map[string]string{config.EnvJFrogURL: s.jfSrv.URL}, "model", "list", "--name", "x", "--repo", testMLRepo)
		if code != exitUsage || !strings.Contains(stderr, config.EnvJFrogToken) {
			t.Errorf("JF_URL without a token: exit %d %q", code, stderr)
		}
	})
	t.Run("a refused token", func(t *testing.T) {
		bad := map[string]string{config.EnvJFrogURL: env[config.EnvJFrogURL], config.EnvJFrogToken: "not-a-token", jobspec.EnvMLRepo: testMLRepo, "SSL_CERT_FILE": ca}
		code, _, stderr := runCLI(t, bad, "dataset", "list", "--name", "tiny")
		if code != exitFailure || !strings.Contains(stderr, config.EnvJFrogToken) || strings.Contains(stderr, "not-a-token") {
			t.Errorf("exit %d %q", code, stderr)
		}
	})
}

// jfClient is a JFrog client for the test stack.
func (s *testStack) jfClient(t *testing.T) *jfrog.Client {
	t.Helper()
	c, err := jfrog.NewClient(s.jfSrv.URL, &jfrog.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: s.jfSrv.Client()}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
