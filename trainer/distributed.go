package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/forestnet"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/ml"
)

// joinTimeout bounds how long rank 0 waits for the other ranks to connect
// and they wait for it: every rank loads the same data first, so they
// arrive within a data load of each other.
const joinTimeout = 10 * time.Minute

// rankJob is the process's part in a training job of several processes
// (WORLD_SIZE > 1): rank 0 grows its share of the trees, receives the
// others' and writes and uploads the model; every other rank grows its
// share and sends it to rank 0, and writes nothing.
type rankJob struct {
	config.Distributed
	key []byte
}

// worker reports whether the process is a rank other than 0; false for a
// single-process job (nil).
func (j *rankJob) worker() bool { return j != nil && j.Rank != 0 }

// newRankJob derives the ranks' key. The secret is the JFrog token in Key
// Vault: the compute's managed identity reads it, and so do the job's
// processes, while a principal who can only read the job (its definition,
// environment, logs) cannot; whoever holds the token can upload a model
// anyway, so the key lets no one do what they could not. The run ID binds
// the key to the job. A job definition carries no secret (see
// azureml.CommandJob.EnvironmentVariables).
func newRankJob(ctx context.Context, e *env) (*rankJob, error) {
	repo, err := connectModelRepo(e)
	if err != nil {
		return nil, err
	}
	creds, err := repo.source.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("rank %d: read the key's secret: %w", e.cfg.Distributed.Rank, err)
	}
	return &rankJob{Distributed: e.cfg.Distributed, key: forestnet.DeriveKey([]byte(creds.AccessToken.Reveal()), e.cfg.Distributed.RunID)}, nil
}

// options are the forestnet options of a forest of n trees; fingerprint
// ties every rank to the same data and hyperparameters.
func (j *rankJob) options(n int, fingerprint string) forestnet.Options {
	return forestnet.Options{Key: j.key, WorldSize: j.WorldSize, Trees: n, Fingerprint: fingerprint, JoinTimeout: joinTimeout}
}

// fingerprint identifies what a rank trains: the data, the split and the
// hyperparameters.
func fingerprint(d *ml.Dataset, sp jobspec.SplitProvenance, o ml.TrainOptions) string {
	return fmt.Sprintf("data %s; split %s/%g; %d train rows; seed %d; %+v", d.SHA256, sp.Column, sp.TestSize, sp.TrainingSamples, o.Seed, o.Forest)
}

// gather starts receiving the other ranks' trees at MasterAddr and sets
// opts to grow rank 0's share and wait for them. stop ends the exchange
// (closing the other ranks' connections if it is not done).
func (j *rankJob) gather(ctx context.Context, train *ml.Dataset, opts *ml.TrainOptions, fp string) (stop func(), err error) {
	n := opts.Forest.NEstimators
	srv, err := forestnet.Listen(ctx, j.MasterAddr, j.options(n, fp))
	if err != nil {
		return nil, err
	}
	nf, nc := len(train.Features), len(train.Classes)
	got := make([]*ml.Tree, n)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- srv.Collect(cctx, func(i int, b []byte) error {
			t, err := ml.DecodeTree(b, nf, nc)
			got[i] = t
			return err
		})
	}()
	var once sync.Once
	var collectErr error
	wait := func() error {
		once.Do(func() { collectErr = <-done })
		return collectErr
	}
	opts.Shard = ml.Shard{Rank: 0, Size: j.WorldSize}
	opts.Gather = func(ctx context.Context, f *ml.Forest) error {
		if err := wait(); err != nil {
			return fmt.Errorf("rank 0: collect the other ranks' trees: %w", err)
		}
		for i, t := range got {
			if t != nil {
				f.Trees[i] = t
			}
		}
		return nil
	}
	return func() { cancel(); wait() }, nil
}

// grow is the work of a rank other than 0: connect to rank 0, grow this
// rank's trees, send them and wait for rank 0 to take them. A failure
// while training is reported to rank 0 too, so the job's error names it.
func (j *rankJob) grow(ctx context.Context, train *ml.Dataset, opts ml.TrainOptions, fp string, stdout io.Writer) error {
	dctx, cancel := context.WithTimeout(ctx, joinTimeout)
	cl, err := forestnet.Dial(dctx, j.MasterAddr, j.Rank, j.options(opts.Forest.NEstimators, fp))
	cancel()
	if err != nil {
		return err
	}
	defer cl.Close()
	start := time.Now()
	shard := ml.Shard{Rank: j.Rank, Size: j.WorldSize}
	f, err := ml.FitForestShard(ctx, train, opts.Forest, opts.Seed, opts.Workers, shard)
	if err != nil {
		cl.Fail(err)
		return fmt.Errorf("rank %d: %w", j.Rank, err)
	}
	fit := time.Since(start)
	sent, bytes := 0, 0
	for i, t := range f.Trees {
		if t == nil {
			continue
		}
		b, err := t.MarshalBinary()
		if err == nil {
			err = cl.SendTree(i, b)
		}
		if err != nil {
			return err
		}
		sent, bytes = sent+1, bytes+len(b)
	}
	if err := cl.Finish(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rank %d of %d: grew %d trees in %.3fs, sent %d bytes to rank 0 in %.3fs\n",
		j.Rank, j.WorldSize, sent, fit.Seconds(), bytes, (time.Since(start) - fit).Seconds())
	return nil
}

// distribute sets f.dist from the launcher's variables (WORLD_SIZE > 1)
// and returns exitOK, or the exit code of a bad setting.
func (f *trainFlags) distribute(ctx context.Context, e *env, stderr io.Writer) int {
	d := e.cfg.Distributed
	switch {
	case e.cfg.DistributedErr != nil:
		return usageError(stderr, "train", "%v", e.cfg.DistributedErr)
	case d.WorldSize <= 1:
		return exitOK
	case f.model != ml.RandomForest:
		return usageError(stderr, "train", "%s=%d: only %s trains on several processes; train %s with instance_count 1", jobspec.EnvWorldSize, d.WorldSize, ml.RandomForest, f.model)
	case e.cfg.ArtifactoryErr != nil:
		return usageError(stderr, "train", "%s=%d: the ranks' key derives from the JFrog token in Key Vault: %v", jobspec.EnvWorldSize, d.WorldSize, e.cfg.ArtifactoryErr)
	}
	j, err := newRankJob(ctx, e)
	if err != nil {
		return failure(stderr, "train", err)
	}
	f.dist = j
	return exitOK
}
