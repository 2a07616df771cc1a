package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLITrainPredict builds the trainer binary and runs train then predict
// on the embedded Iris set, as the training image does.
func TestCLITrainPredict(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "trainer")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exe := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "MODEL_NAME=cli-test")
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
	out := filepath.Join(dir, "outputs")
	code, stdout, stderr := exe("train", "--data", "iris", "--output-dir", out)
	if code != 0 || !strings.Contains(stdout, "trained cli-test") || !strings.Contains(stdout, "accuracy 1.0000") {
		t.Fatalf("train: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	input := filepath.Join(dir, "rows.csv")
	if err := os.WriteFile(input, []byte("sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.3,2.9,5.6,1.8\n5.9,3.0,4.2,1.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = exe("predict", "--model", filepath.Join(out, "model.json"), "--input", input)
	if code != 0 || stdout != "prediction\n0\n2\n1\n" {
		t.Fatalf("predict: exit %d\nstdout %q\nstderr %s", code, stdout, stderr)
	}
	if code, _, _ = exe("predict", "--model"); code != 2 {
		t.Errorf("missing flag value: exit %d, want 2", code)
	}
	if code, _, stderr = exe("predict", "--model", input, "--input", input); code != 1 || !strings.Contains(stderr, "rows.csv") {
		t.Errorf("csv given as model: exit %d, stderr %q; want 1 naming the file", code, stderr)
	}
	if code, stdout, _ = exe("version"); code != 0 || !strings.HasPrefix(stdout, "trainer ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}
