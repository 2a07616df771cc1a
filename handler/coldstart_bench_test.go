package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/testbin"
)

// BenchmarkColdStart measures the handler binary from exec to its first
// answered GET / (the host's readiness ping), and its resident memory once
// idle. Goals: median cold start at most 15 ms, idle RSS at most 20 MiB.
func BenchmarkColdStart(b *testing.B) {
	exe := testbin.Path(b, "handler")
	client := &http.Client{Timeout: time.Second}
	var starts []time.Duration
	var rssKiB int
	for i := 0; i < b.N; i++ {
		port := freeTCPPort(b)
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), "FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port))
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
				b.Fatal("handler did not answer within 10 s")
			}
			time.Sleep(200 * time.Microsecond)
		}
		starts = append(starts, time.Since(t0))
		if i == 0 {
			time.Sleep(300 * time.Millisecond)
			rssKiB = vmRSS(b, cmd.Process.Pid)
		}
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	b.ReportMetric(float64(starts[len(starts)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(rssKiB)/1024, "idle-RSS-MiB")
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
