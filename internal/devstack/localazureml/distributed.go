package localazureml

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// jobDistribution is a job's distribution (DistributionConfiguration).
type jobDistribution struct {
	DistributionType        string `json:"distributionType"`
	ProcessCountPerInstance int    `json:"processCountPerInstance,omitempty"`
}

// distributionTypes are AzureML's DistributionType values; the local stack
// runs PyTorch's.
var distributionTypes = map[string]bool{"PyTorch": true, "Mpi": true, "TensorFlow": true}

// maxLocalProcesses bounds the processes one local job may start.
const maxLocalProcesses = 16

// rankGrace is how long the other ranks of a job may run on after one
// failed, so that rank 0 can report it, before they are stopped (AzureML
// fails a distributed job when a process fails; how soon it stops the
// others is not documented).
const rankGrace = 5 * time.Second

// instanceCount is resources.instanceCount, 1 when absent.
func (p *jobProps) instanceCount() (int, bool) {
	v, ok := p.Resources["instanceCount"]
	if !ok || v == nil {
		return 1, true
	}
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) || f < 1 {
		return 0, false
	}
	return int(f), true
}

// worldSize is the number of processes the job runs: instances ×
// processCountPerInstance with the PyTorch distribution, else 1 (without a
// distribution the local stack runs the command once, as on one node).
func (p *jobProps) worldSize() int {
	n, _ := p.instanceCount()
	if p.Distribution == nil || p.Distribution.DistributionType != "PyTorch" {
		return 1
	}
	return n * max(1, p.Distribution.ProcessCountPerInstance)
}

// validateDistribution returns AzureML's kind of message for a bad
// resources.instanceCount or distribution, or "".
func validateDistribution(p *jobProps) string {
	n, ok := p.instanceCount()
	if !ok {
		return "properties.resources.instanceCount must be a whole number of at least 1."
	}
	if d := p.Distribution; d != nil {
		switch {
		case !distributionTypes[d.DistributionType]:
			return "properties.distribution.distributionType '" + clip(d.DistributionType, 40) + "' is not one of PyTorch, Mpi, TensorFlow."
		case d.DistributionType != "PyTorch":
			return "properties.distribution.distributionType " + d.DistributionType + " is not supported by the local stack: use PyTorch."
		case d.ProcessCountPerInstance < 0:
			return "properties.distribution.processCountPerInstance must be at least 1."
		}
	}
	if w := p.worldSize(); w > maxLocalProcesses || n > maxLocalProcesses {
		return fmt.Sprintf("the local stack runs at most %d processes for a job (instanceCount × processCountPerInstance).", maxLocalProcesses)
	}
	return ""
}

// rankLog is the log file of rank r of a distributed job (rank 0 keeps
// the single-process name, so the job's log URL shows it).
func rankLog(r int) string {
	if r == 0 {
		return logFile
	}
	return fmt.Sprintf("user_logs/std_log_process_%02d.txt", r)
}

// rankEnv is the launcher's variables for rank r of world on loopback, as
// AzureML's PyTorch launcher sets them: MASTER_ADDR, MASTER_PORT,
// WORLD_SIZE and NODE_RANK per node, RANK and LOCAL_RANK per process
// (Azure Machine Learning, "Distributed GPU training guide", PyTorch).
func rankEnv(env []string, port, r, world, perNode int) []string {
	return append(env[:len(env):len(env)],
		"MASTER_ADDR=127.0.0.1", "MASTER_PORT="+strconv.Itoa(port), "WORLD_SIZE="+strconv.Itoa(world),
		"RANK="+strconv.Itoa(r), "NODE_RANK="+strconv.Itoa(r/perNode), "LOCAL_RANK="+strconv.Itoa(r%perNode))
}

// freePort returns a loopback TCP port nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// rankResult is how one rank ended.
type rankResult struct {
	rank int
	err  error
	tail *tailBuffer
}

// runRanks runs world copies of the command, one per rank, and returns the
// job's error code and message: the first rank that failed, with its
// error and those of the ranks that failed after it.
func (s *Server) runRanks(ctx context.Context, wsk, name string, p jobPlan, prog string, argv, env []string, world int) (string, string) {
	port, err := freePort()
	if err != nil {
		return codeServiceError, fmt.Sprintf("Execution failed: no loopback port for MASTER_PORT: %v", err)
	}
	perNode := max(1, p.def.Distribution.ProcessCountPerInstance)
	rctx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	cmds := make([]*exec.Cmd, world)
	tails := make([]*tailBuffer, world)
	for r := range world {
		logf, err := os.OpenFile(filepath.Join(p.dir, rankLog(r)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return codeServiceError, fmt.Sprintf("open job log: %v", err)
		}
		defer logf.Close()
		tails[r] = &tailBuffer{max: tailSize}
		cmd := exec.CommandContext(rctx, prog, argv[1:]...)
		cmd.Dir = filepath.Join(p.dir, "wd")
		cmd.Env = rankEnv(env, port, r, world, perNode)
		cmd.Stdout = logf
		cmd.Stderr = &teeWriter{a: logf, b: tails[r]}
		setProcessGroup(cmd)
		cmd.Cancel = func() error { return signalGroup(cmd, false) }
		cmd.WaitDelay = stopGrace
		cmds[r] = cmd
	}
	for r, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			for _, c := range cmds[:r] {
				_ = signalGroup(c, true)
				_ = c.Wait()
			}
			return codeUserError, fmt.Sprintf("Execution failed: could not start %s (rank %d of %d): %v", argv[0], r, world, err)
		}
	}
	if !s.setStatus(wsk, name, statusRunning) {
		stopAll()
	}
	results := make(chan rankResult, world)
	var wg sync.WaitGroup
	for r, cmd := range cmds {
		wg.Go(func() { results <- rankResult{rank: r, err: cmd.Wait(), tail: tails[r]} })
	}
	var failed []rankResult
	var grace *time.Timer
	for range world {
		res := <-results
		if res.err != nil && ctx.Err() == nil {
			failed = append(failed, res)
			if grace == nil {
				grace = time.AfterFunc(rankGrace, stopAll)
				defer grace.Stop()
			}
		}
	}
	wg.Wait()
	for _, c := range cmds {
		_ = signalGroup(c, true) // whatever a rank left behind
	}
	if ctx.Err() != nil || len(failed) == 0 {
		return "", ""
	}
	msg := ""
	for i, f := range failed {
		if i > 0 {
			msg += " Then "
		}
		msg += rankFailure(argv[0], f, world)
	}
	return codeUserError, "Execution failed. " + clip(msg, 3000)
}

// rankFailure describes how one rank failed.
func rankFailure(prog string, f rankResult, world int) string {
	var ee *exec.ExitError
	how := f.err.Error()
	if errors.As(f.err, &ee) {
		if ee.ExitCode() >= 0 {
			how = "exited with status code " + strconv.Itoa(ee.ExitCode())
		} else {
			how = "was stopped (" + ee.String() + ")"
		}
	}
	return fmt.Sprintf("User process '%s' of rank %d of %d %s. Please check log file '%s' for error details. Error: %s.",
		prog, f.rank, world, how, rankLog(f.rank), f.tail.lastLines(5, 1000))
}
