package localvault

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashChildEnv makes the test binary act as a writer that the crash test
// kills with SIGKILL.
const crashChildEnv = "KEYVAULT_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashValue is the value written in round i: large enough that a torn
// write would be visible.
func crashValue(i int) string {
	return fmt.Sprintf("round-%d-", i) + strings.Repeat(strconv.Itoa(i%10), 20000)
}

// crashChild writes secrets from two goroutines forever, printing one
// "ack name version round" line after each write returns.
func crashChild(dir string) {
	st, err := newSecretStore(dir, time.Now)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; ; i += 2 {
				name := fmt.Sprintf("crash-%d", i%5)
				rec, err := st.set(name, crashValue(i), nil, nil, attributes{})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s %s %d\n", name, rec.Version, i)
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
}

func TestCrashDuringWrites(t *testing.T) {
	for run := 0; run < 3; run++ {
		t.Run(fmt.Sprintf("kill after %d acks", 20+run*15), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			type ack struct {
				name, version string
				round         int
			}
			var acks []ack
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) != 4 || f[0] != "ack" {
					t.Fatalf("unexpected child output %q", sc.Text())
				}
				n, _ := strconv.Atoi(f[3])
				acks = append(acks, ack{f[1], f[2], n})
				if len(acks) == 20+run*15 {
					if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
					break
				}
			}
			// Acknowledgements printed before the kill landed are acks too.
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) == 4 {
					n, _ := strconv.Atoi(f[3])
					acks = append(acks, ack{f[1], f[2], n})
				}
			}
			cmd.Wait()
			if len(acks) < 20 {
				t.Fatalf("child acknowledged only %d writes", len(acks))
			}

			st, err := newSecretStore(dir, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range acks {
				rec, err := st.get(a.name, a.version)
				if err != nil {
					t.Fatalf("acknowledged version %s/%s lost: %v", a.name, a.version, err)
				}
				if rec.Value != crashValue(a.round) {
					t.Fatalf("version %s/%s holds another value", a.name, a.version)
				}
			}
			// Every version that exists, acknowledged or not, is whole.
			for i := 0; i < 5; i++ {
				recs, err := st.versions(fmt.Sprintf("crash-%d", i))
				if err != nil {
					t.Fatalf("crash-%d: %v", i, err)
				}
				for _, r := range recs {
					if !strings.HasPrefix(r.Value, "round-") || len(r.Value) < 20000 {
						t.Fatalf("torn version %s/%s", r.Name, r.Version)
					}
				}
			}
			leftovers, _ := filepath.Glob(filepath.Join(dir, secretsDir, "*", ".tmp-*"))
			t.Logf("%d acknowledged writes survived; %d temporary files left by the kill", len(acks), len(leftovers))
		})
	}
}
