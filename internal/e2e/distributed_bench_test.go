package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/testbin"
)

// rankRun is one trainer process of a benchmark run.
type rankRun struct {
	wall   time.Duration
	rssKiB int64
	stdout string
}

// BenchmarkDistributedForest grows forests side by side as 1 process × 2
// workers and as 2 processes × 1 worker, the second with the variables the
// local AzureML's PyTorch launcher sets and the ranks' key from the local
// stack's Key Vault through the compute's managed identity, as on AzureML,
// on three data sets: synth100k (100 trees); synth1m, 1,000,000 rows × 20
// features, 3 classes, from bench/synthgen (10 trees, to keep the run
// short); and floor, 200 rows from the same generator and 2 trees, whose
// times are the harness floor (starting the trainer processes, the key,
// the rendezvous). It fails unless both sides give the same model.json and
// reports wall times, the speed-up, each process's peak RSS and the cost
// per tree of sending rank 1's trees to rank 0 (encode, transfer, decode,
// merge), each the median of the runs. Run on a quiet machine:
//
//	make build && FROGBRIDGE_BIN_DIR=$PWD/bin go test -run '^$' -bench DistributedForest -benchtime 5x ./internal/e2e
//
// SYNTH_CSV names the decompressed synth100k CSV; by default
// ../shared/data/synth100k.csv.xz is decompressed with xz.
func BenchmarkDistributedForest(b *testing.B) {
	trainer, err := testbin.Build("trainer")
	if err != nil {
		b.Fatal(err)
	}
	s := sharedStack(b)
	h := startHost(b, s, nil)
	if status, _, body := rotate(b, h, "?force=true"); status != http.StatusOK {
		b.Fatalf("rotation: %s", body)
	}
	compute := []string{
		"MSI_ENDPOINT=" + s.env["DEVSTACK_COMPUTE_MSI_ENDPOINT"], "MSI_SECRET=" + s.env["DEVSTACK_COMPUTE_MSI_SECRET"],
		"DEFAULT_IDENTITY_CLIENT_ID=" + s.env["DEVSTACK_COMPUTE_CLIENT_ID"], "SSL_CERT_FILE=" + s.env["SSL_CERT_FILE"],
		"AZURE_KEY_VAULT_URL=" + s.env["AZURE_KEY_VAULT_URL"], "ARTIFACTORY_HOST=" + s.env["ARTIFACTORY_HOST"],
		"ARTIFACTORY_ML_REPO=" + s.env["ARTIFACTORY_ML_REPO"], "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
	}
	for _, c := range []struct {
		name  string
		data  func(b *testing.B) string
		trees int
	}{
		{"floor", func(b *testing.B) string { return genCSV(b, 200) }, 2},
		{"synth100k", synthCSV, 100},
		{"synth1m", func(b *testing.B) string { return genCSV(b, 1000000) }, 10},
	} {
		data := c.data(b) // once, outside the timed sub-benchmark
		b.Run(c.name, func(b *testing.B) { benchDistributed(b, trainer, compute, data, c.trees) })
	}
}

// benchDistributed is one data set of BenchmarkDistributedForest.
func benchDistributed(b *testing.B, trainer string, compute []string, data string, trees int) {
	args := func(out string, workers int) []string {
		return []string{"train", "--data", data, "--split-column", "split", "--n-estimators", strconv.Itoa(trees), "--seed", "42",
			"--workers", strconv.Itoa(workers), "--output-dir", out, "--version", "v1"}
	}
	metrics := map[string][]float64{}
	add := func(name string, v float64) { metrics[name] = append(metrics[name], v) }
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		var single, r0, r1 rankRun
		var singleWall, distWall time.Duration
		runSingle := func() {
			start := time.Now()
			single = runTrainer(b, trainer, args(filepath.Join(dir, "single"), 2), compute)
			singleWall = time.Since(start)
		}
		runRanks := func() {
			port := freePort(b)
			world := []string{"WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + strconv.Itoa(port), "AZUREML_RUN_ID=bench-" + strconv.Itoa(i)}
			start := time.Now()
			ranks := make([]chan rankRun, 2)
			for r := range ranks {
				ranks[r] = make(chan rankRun, 1)
				env := append(append(append([]string{}, compute...), world...), "RANK="+strconv.Itoa(r), "NODE_RANK="+strconv.Itoa(r), "LOCAL_RANK=0")
				go func() { ranks[r] <- runTrainer(b, trainer, args(filepath.Join(dir, "rank"+strconv.Itoa(r)), 1), env) }()
			}
			r0, r1 = <-ranks[0], <-ranks[1]
			distWall = time.Since(start)
		}
		// alternate the order, so that a change of load on the machine
		// does not always fall on the same side
		if i%2 == 0 {
			runSingle()
			runRanks()
		} else {
			runRanks()
			runSingle()
		}
		a, c := fileSHA(b, filepath.Join(dir, "single", "model.json")), fileSHA(b, filepath.Join(dir, "rank0", "model.json"))
		if a != c {
			b.Fatalf("model.json sha256: 1 process %s, 2 processes %s", a, c)
		}
		m := regexp.MustCompile(`grew (\d+) trees in ([0-9.]+)s, sent (\d+) bytes to rank 0 in ([0-9.]+)s`).FindStringSubmatch(r1.stdout)
		if m == nil {
			b.Fatalf("rank 1 did not report its transfer: %q", r1.stdout)
		}
		trees, _ := strconv.ParseFloat(m[1], 64)
		sentBytes, _ := strconv.ParseFloat(m[3], 64)
		sendS, _ := strconv.ParseFloat(m[4], 64)
		add("wall-s-1proc-2workers", singleWall.Seconds())
		add("wall-s-2proc-1worker", distWall.Seconds())
		add("speedup", singleWall.Seconds()/distWall.Seconds())
		add("fit-s-1proc", fitSeconds(b, filepath.Join(dir, "single")))
		add("fit-s-rank0", fitSeconds(b, filepath.Join(dir, "rank0")))
		add("rss-MiB-1proc", float64(single.rssKiB)/1024)
		add("rss-MiB-rank0", float64(r0.rssKiB)/1024)
		add("rss-MiB-rank1", float64(r1.rssKiB)/1024)
		add("send-ms/tree", sendS/trees*1000)
		add("KiB/tree", sentBytes/trees/1024)
		b.Logf("run %d: model sha256 %s for both; 1 process %.2fs, 2 processes %.2fs; rank 1: %s", i, a, singleWall.Seconds(), distWall.Seconds(), m[0])
	}
	for name, v := range metrics {
		sort.Float64s(v)
		b.ReportMetric(v[len(v)/2], name) // the median run
	}
}

// runTrainer runs the trainer to its end and fails the benchmark unless it
// exits 0.
func runTrainer(b *testing.B, trainer string, args, env []string) rankRun {
	var out, errb bytes.Buffer
	cmd := exec.Command(trainer, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Errorf("trainer %v: %v\n%s", args, err, errb.String())
		return rankRun{}
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r := rankRun{wall: time.Since(start), stdout: out.String()}
	if ru != nil {
		r.rssKiB = ru.Maxrss // KiB on Linux
	}
	return r
}

func fileSHA(b *testing.B, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func fitSeconds(b *testing.B, dir string) float64 {
	data, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		b.Fatal(err)
	}
	var m struct {
		FitSeconds float64 `json:"fit_seconds"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		b.Fatal(err)
	}
	return m.FitSeconds
}

// synthCSV returns the synth100k CSV, decompressing the shared copy when
// SYNTH_CSV is unset.
func synthCSV(b *testing.B) string {
	if p := os.Getenv("SYNTH_CSV"); p != "" {
		return p
	}
	src, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "data", "synth100k.csv.xz"))
	if err == nil {
		_, err = os.Stat(src)
	}
	if err != nil {
		b.Skipf("no synth100k data (set SYNTH_CSV): %v", err)
	}
	dst := filepath.Join(b.TempDir(), "synth100k.csv")
	f, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("xz", "-dc", src)
	cmd.Stdout = f
	if err := cmd.Run(); err != nil {
		b.Fatalf("xz -dc %s: %v", src, err)
	}
	return dst
}

// genCSV writes rows rows × 20 features, 3 classes, with bench/synthgen.
func genCSV(b *testing.B, rows int) string {
	dst := filepath.Join(b.TempDir(), "synth.csv")
	cmd := exec.Command("go", "run", "../../bench/synthgen", "-rows", strconv.Itoa(rows), "-features", "20", "-classes", "3", "-out", dst)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("synthgen: %v\n%s", err, out)
	}
	return dst
}
