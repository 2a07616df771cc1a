package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/jobspec"
)

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// rankEnv is s.env as the PyTorch launcher would give it to rank of world.
func rankEnv(s *testStack, rank, world int, addr, runID string) *env {
	cfg := *s.env.cfg
	cfg.Distributed = config.Distributed{WorldSize: world, Rank: rank, MasterAddr: addr, RunID: runID}
	return &env{cfg: &cfg, credential: s.env.credential, transport: s.env.transport}
}

type rankResult struct {
	code           int
	stdout, stderr string
}

// runRanks runs `trainer train` as world ranks at once; argsFor gives each
// rank's arguments.
func runRanks(s *testStack, world int, addr string, argsFor func(rank int) []string) []rankResult {
	res := make([]rankResult, world)
	var wg sync.WaitGroup
	for rank := range world {
		wg.Go(func() {
			var out, errb bytes.Buffer
			res[rank].code = runWith(context.Background(), rankEnv(s, rank, world, addr, "train-test-1"), argsFor(rank), &out, &errb)
			res[rank].stdout, res[rank].stderr = out.String(), errb.String()
		})
	}
	wg.Wait()
	return res
}

func TestDistributedTrainingMatchesOneProcess(t *testing.T) {
	s := newTestStack(t)
	s.rotate(t)
	dir := t.TempDir()
	args := func(out string) []string {
		return []string{"train", "--output-dir", out, "--version", "v1", "--n-estimators", "9", "--seed", "7", "--workers", "1"}
	}
	var one, errb bytes.Buffer
	if code := runWith(context.Background(), s.env, args(filepath.Join(dir, "one")), &one, &errb); code != exitOK {
		t.Fatalf("one process: exit %d: %s", code, errb.String())
	}
	want, err := os.ReadFile(filepath.Join(dir, "one", jobspec.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, world := range []int{2, 3} {
		outs := make([]string, world)
		for r := range outs {
			outs[r] = filepath.Join(dir, "w"+string(rune('0'+world)), "rank"+string(rune('0'+r)))
		}
		res := runRanks(s, world, freeAddr(t), func(rank int) []string { return args(outs[rank]) })
		for r, x := range res {
			if x.code != exitOK {
				t.Fatalf("world %d rank %d: exit %d: %s", world, r, x.code, x.stderr)
			}
		}
		got, err := os.ReadFile(filepath.Join(outs[0], jobspec.ModelFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("world %d: rank 0's model.json differs from the single process's", world)
		}
		for r := 1; r < world; r++ {
			if _, err := os.Stat(outs[r]); !os.IsNotExist(err) {
				t.Errorf("world %d: rank %d wrote outputs (%v)", world, r, err)
			}
			if !strings.Contains(res[r].stdout, "sent") {
				t.Errorf("world %d rank %d stdout = %q", world, r, res[r].stdout)
			}
		}
	}
}

func TestDistributedRankWithOtherFlagsFailsTheJob(t *testing.T) {
	s := newTestStack(t)
	s.rotate(t)
	dir := t.TempDir()
	res := runRanks(s, 2, freeAddr(t), func(rank int) []string {
		seed := "7"
		if rank == 1 {
			seed = "8"
		}
		return []string{"train", "--output-dir", filepath.Join(dir, "r"+seed), "--version", "v1", "--n-estimators", "4", "--seed", seed}
	})
	if res[0].code != exitFailure || !strings.Contains(res[0].stderr, "rank 1 trains on other data or hyperparameters") {
		t.Errorf("rank 0: exit %d, stderr %q; want the fingerprint mismatch", res[0].code, res[0].stderr)
	}
	if res[1].code != exitFailure {
		t.Errorf("rank 1: exit %d, want failure", res[1].code)
	}
	if _, err := os.Stat(filepath.Join(dir, "r7")); !os.IsNotExist(err) {
		t.Errorf("rank 0 wrote outputs of a failed job (%v)", err)
	}
}

func TestDistributedUsageErrors(t *testing.T) {
	s := newTestStack(t)
	for _, c := range []struct {
		env  *env
		args []string
		want string
	}{
		{rankEnv(s, 0, 2, "127.0.0.1:1", "r"), []string{"train", "--model", "logistic_regression"}, "only random_forest"},
		{&env{cfg: config.LoadTrainer(func(k string) string {
			return map[string]string{jobspec.EnvWorldSize: "2", jobspec.EnvRank: "0", jobspec.EnvMasterAddr: "127.0.0.1", jobspec.EnvMasterPort: "1"}[k]
		})}, []string{"train"}, "Key Vault"},
		{&env{cfg: config.LoadTrainer(func(k string) string {
			return map[string]string{jobspec.EnvWorldSize: "2", jobspec.EnvRank: "5"}[k]
		})}, []string{"train"}, "RANK"},
	} {
		var out, errb bytes.Buffer
		if code := runWith(context.Background(), c.env, c.args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want usage error with %q", c.args, code, errb.String(), c.want)
		}
	}
}
