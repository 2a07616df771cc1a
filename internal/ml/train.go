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
		m.Forest, err = FitForest(ctx, train, opts.Forest, opts.Seed, opts.Workers)
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
