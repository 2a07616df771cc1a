package localjfrog

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

const crashChildEnv = "FROGBRIDGE_JFROG_CRASH_CHILD_DIR"

// TestCrashDuringWrites kills (SIGKILL) a process that deploys artifacts
// and issues tokens in a loop, then reopens its data folder: the state must
// load, and every recorded file must have its complete blob.
func TestCrashDuringWrites(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	dir := t.TempDir()
	total := 0
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringWrites$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		ready := filepath.Join(dir, "child-ready")
		os.Remove(ready)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill at a random moment after the child's first deploy, so the
		// kill lands in the middle of the write loop.
		for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(ready); err == nil {
				break
			}
			if time.Since(start) > 30*time.Second {
				cmd.Process.Kill()
				t.Fatal("the child deployed nothing within 30 s")
			}
		}
		time.Sleep(time.Duration(100+rand.IntN(600)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()

		s, err := New(Options{DataDir: dir, BaseURL: "https://127.0.0.1:1", Logger: zerolog.Nop()})
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v", round, err)
		}
		n := 0
		s.art.view(func(a *artState) {
			repo := a.Repos["crash"]
			if repo == nil {
				t.Errorf("round %d: the repository created before the first deploy is gone", round)
				return
			}
			for p, f := range repo.Files {
				b, err := os.ReadFile(s.blobs.path(f.Sha256))
				sum := sha256.Sum256(b)
				if err != nil || hex.EncodeToString(sum[:]) != f.Sha256 || int64(len(b)) != f.Size {
					t.Errorf("round %d: %s: blob missing or torn (%v)", round, p, err)
				}
				n++
			}
		})
		for _, sub := range []string{"access", "artifactory", "artifactory/blobs"} {
			if left, _ := filepath.Glob(filepath.Join(dir, sub, ".tmp-*")); len(left) > 0 {
				t.Errorf("round %d: temporary files left after reopening: %v", round, left)
			}
		}
		t.Logf("round %d: %d files intact after kill -9", round, n)
		total = n
	}
	if total == 0 {
		t.Fatal("no deploy completed before the kills; the test proved nothing")
	}
}

// crashChild deploys forever through the handler, in process.
func crashChild(t *testing.T, dir string) {
	s, err := New(Options{DataDir: dir, BaseURL: "https://127.0.0.1:1", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	call := func(method, path string, body io.Reader, hdr map[string]string) int {
		req := httptest.NewRequest(method, path, body)
		req.Header.Set("Authorization", "Bearer "+s.AdminToken())
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	call("PUT", "/artifactory/api/repositories/crash", bytes.NewReader([]byte(`{"rclass":"local","packageType":"generic"}`)), nil)
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(time.Now().UnixNano()))
	rng := rand.NewChaCha8(seed)
	// The parent kills the child within seconds; the deadline only stops an
	// orphan whose parent died first. Paths repeat, so disk use is bounded.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		b := make([]byte, rand.IntN(2<<20))
		rng.Read(b)
		sum := sha256.Sum256(b)
		path := fmt.Sprintf("/artifactory/crash/%d/f%d", os.Getpid(), i%20)
		if code := call("PUT", path, bytes.NewReader(b), map[string]string{"X-Checksum-Sha256": hex.EncodeToString(sum[:])}); code != 201 {
			t.Fatalf("deploy %s: %d", path, code)
		}
		if i == 0 {
			if err := os.WriteFile(filepath.Join(dir, "child-ready"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if i%5 == 0 {
			if _, _, err := s.issueToken("crash", scopeUser, "*@*", 60, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
}
