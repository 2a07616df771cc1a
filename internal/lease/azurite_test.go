package lease_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// devAccountKey is the well-known key of Azurite's development account.
const devAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

// azuriteListens matches Azurite's start-up line carrying the bound address.
var azuriteListens = regexp.MustCompile(`listens on (http://127\.0\.0\.1:\d+)`)

var (
	azOnce sync.Once
	azCmd  *exec.Cmd
	azURL  string
	azErr  error
)

// TestMain stops the shared Azurite started by startAzurite.
func TestMain(m *testing.M) {
	code := m.Run()
	if azCmd != nil && azCmd.Process != nil {
		_ = azCmd.Process.Kill()
		_ = azCmd.Wait()
	}
	os.Exit(code)
}

// azuriteBin finds .tools/node_modules/.bin/azurite-blob above the test's
// working directory.
func azuriteBin() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			bin := filepath.Join(d, ".tools", "node_modules", ".bin", "azurite-blob")
			if _, err := os.Stat(bin); err != nil {
				return "", fmt.Errorf("%s missing: run make tools", bin)
			}
			return bin, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}

// startAzurite starts one in-memory Azurite blob service on a free loopback
// port (plain http, development account) shared by the package's tests and
// returns its connection string. A missing binary fails the test.
func startAzurite(t *testing.T) string {
	t.Helper()
	azOnce.Do(func() {
		bin, err := azuriteBin()
		if err != nil {
			azErr = err
			return
		}
		cmd := exec.Command(bin, "--inMemoryPersistence", "--blobHost", "127.0.0.1", "--blobPort", "0",
			"--skipApiVersionCheck", "--disableTelemetry")
		out, err := cmd.StdoutPipe()
		if err != nil {
			azErr = err
			return
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			azErr = fmt.Errorf("start %s: %w (run make tools)", bin, err)
			return
		}
		azCmd = cmd
		found := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if m := azuriteListens.FindStringSubmatch(sc.Text()); m != nil {
					found <- m[1]
					break
				}
			}
			_, _ = io.Copy(io.Discard, out)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		select {
		case azURL = <-found:
		case <-ctx.Done():
			azErr = fmt.Errorf("azurite did not start within 90s")
		}
	})
	if azErr != nil {
		t.Fatalf("azurite: %v", azErr)
	}
	return "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + devAccountKey +
		";BlobEndpoint=" + azURL + "/devstoreaccount1;"
}

var containerSeq struct {
	sync.Mutex
	n int
}

// uniqueContainer returns a fresh container name per test.
func uniqueContainer() string {
	containerSeq.Lock()
	defer containerSeq.Unlock()
	containerSeq.n++
	return fmt.Sprintf("locks-%d-%d", time.Now().UnixNano()%1e9, containerSeq.n)
}
