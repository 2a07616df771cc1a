package ml

import (
	"context"
	"fmt"
	"time"
)

// TrainOptions select the model kind and its hyperparameters for Train.
type TrainOptions struct {
	// ModelType is RandomForest (default) or LogisticRegression.
	ModelType string
	// Forest holds the random forest hyperparameters.
	Forest ForestParams
	// Logistic holds the logistic regression hyperparameters.
	Logistic LogisticParams
	// Seed drives the bootstrap and feature sampling.
	Seed uint64
	// Workers is the number of goroutines (0 = all cores); results do not
	// depend on it.
	Workers int
	// Shard, when its Size is over one, makes this process grow only its
	// share of a random forest's trees (see FitForestShard); Gather must
	// then put the other shards' trees into the forest.
	Shard Shard
	// Gather receives the forest with this shard's trees and fills in the
	// rest (the trainer's rank 0 receives them from the other ranks). The
	// fit time includes it.
	Gather func(ctx context.Context, f *Forest) error
}

// TrainResult is a fitted model with its evaluation on the test split.
type TrainResult struct {
	// Model is the fitted model.
	Model *Model
	// Report scores the model on the test split.
	Report Report
	// FitSeconds is the wall time of the fit alone.
	FitSeconds float64
}

// Train fits a model on train and scores it on test.
func Train(ctx context.Context, train, test *Dataset, opts TrainOptions) (*TrainResult, error) {
	if len(test.Y) != test.Rows() {
		return nil, fmt.Errorf("train: test set %s has no labels; read it with CSVOptions.Label", test.Name)
	}
	m := &Model{Type: opts.ModelType, Features: train.Features, Classes: train.Classes, Seed: opts.Seed}
	if m.Type == "" {
		m.Type = RandomForest
	}
	start := time.Now()
	var err error
	switch m.Type {
	case RandomForest:
		m.Forest, err = FitForestShard(ctx, train, opts.Forest, opts.Seed, opts.Workers, opts.Shard)
		if err == nil && opts.Shard.size() > 1 {
			if opts.Gather == nil {
				return nil, fmt.Errorf("train: shard %d of %d needs a Gather to collect the other trees", opts.Shard.Rank, opts.Shard.Size)
			}
			if err = opts.Gather(ctx, m.Forest); err == nil {
				err = m.Forest.Complete()
			}
		}
	case LogisticRegression:
		m.Linear, err = FitLogistic(ctx, train, opts.Logistic, opts.Workers)
	default:
		return nil, fmt.Errorf("train: unknown model type %q; use %s or %s", m.Type, RandomForest, LogisticRegression)
	}
	if err != nil {
		return nil, err
	}
	res := &TrainResult{Model: m, FitSeconds: time.Since(start).Seconds()}
	pred, err := m.PredictDataset(test, opts.Workers)
	if err != nil {
		return nil, err
	}
	res.Report = ClassificationReport(m.Classes, test.Y, pred.Class)
	return res, nil
}
