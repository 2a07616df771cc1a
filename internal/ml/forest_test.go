package ml

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func fitModel(t testing.TB, train *Dataset, p ForestParams, seed uint64, workers int) *Model {
	t.Helper()
	f, err := FitForest(context.Background(), train, p, seed, workers)
	if err != nil {
		t.Fatal(err)
	}
	return &Model{Type: RandomForest, Features: train.Features, Classes: train.Classes, Seed: seed, Forest: f}
}

func TestForestIris(t *testing.T) {
	train, test := irisSplit(t)
	for _, seed := range []uint64{42, 1, 7} {
		m := fitModel(t, train, ForestParams{}, seed, 0)
		if got := accuracy(t, m, test); got != 1 {
			t.Errorf("seed %d: iris test accuracy = %v, want 1 (scikit-learn's)", seed, got)
		}
		if len(m.Forest.Trees) != 100 || m.Forest.Params.MaxFeatures != 2 {
			t.Errorf("defaults: %d trees, max_features %d", len(m.Forest.Trees), m.Forest.Params.MaxFeatures)
		}
	}
}

func TestForestDeterministicAcrossWorkers(t *testing.T) {
	d := makeBlobs(3000, 8, 3, 5)
	var first []byte
	for _, workers := range []int{1, 2, 3, 8} {
		m := fitModel(t, d, ForestParams{NEstimators: 12}, 42, workers)
		b, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
			continue
		}
		if !bytes.Equal(first, b) {
			t.Fatalf("workers=%d: model.json differs from workers=1", workers)
		}
	}
	other, _ := fitModel(t, d, ForestParams{NEstimators: 12}, 43, 2).Encode()
	if bytes.Equal(first, other) {
		t.Error("a different seed gave the same model")
	}
}

func TestForestBeatsChanceOnBlobs(t *testing.T) {
	full := makeBlobs(5000, 10, 3, 11)
	train, test := full.Subset(seq(0, 4000)), full.Subset(seq(4000, 5000))
	m := fitModel(t, train, ForestParams{NEstimators: 30}, 1, 0)
	if acc := accuracy(t, m, test); acc < 0.8 {
		t.Errorf("blobs accuracy = %v, want >= 0.8", acc)
	}
}

func seq(lo, hi int) []int {
	s := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

func TestForestParamsLimitTrees(t *testing.T) {
	train, _ := irisSplit(t)
	tests := []struct {
		name     string
		p        ForestParams
		maxNodes int
		minLeaf  float64 // least leaf weight
	}{
		{"max depth 1", ForestParams{NEstimators: 5, MaxDepth: 1}, 3, 1},
		{"max depth 2", ForestParams{NEstimators: 5, MaxDepth: 2}, 7, 1},
		{"min samples leaf 20", ForestParams{NEstimators: 5, MinSamplesLeaf: 20}, 11, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fitModel(t, train, tt.p, 3, 0)
			for i, tr := range m.Forest.Trees {
				if tr.NumNodes() > tt.maxNodes {
					t.Errorf("tree %d: %d nodes, want <= %d", i, tr.NumNodes(), tt.maxNodes)
				}
				for off := 0; off < len(tr.counts); off += 3 {
					s := tr.counts[off] + tr.counts[off+1] + tr.counts[off+2]
					if s < tt.minLeaf {
						t.Errorf("tree %d: leaf weight %v < %v", i, s, tt.minLeaf)
					}
				}
			}
		})
	}
}

func TestForestFullyGrownFitsBootstrap(t *testing.T) {
	// with distinct rows and unlimited depth every leaf is pure
	train, _ := irisSplit(t)
	m := fitModel(t, train, ForestParams{NEstimators: 10, MaxFeatures: 4}, 9, 1)
	impure := 0
	for _, tr := range m.Forest.Trees {
		for off := 0; off < len(tr.counts); off += 3 {
			nz := 0
			for _, v := range tr.counts[off : off+3] {
				if v > 0 {
					nz++
				}
			}
			if nz > 1 {
				impure++
			}
		}
	}
	// Iris holds two identical rows of different classes at most; allow a few
	if impure > 10 {
		t.Errorf("%d impure leaves in fully grown trees", impure)
	}
}

func TestForestProbabilities(t *testing.T) {
	train, test := irisSplit(t)
	m := fitModel(t, train, ForestParams{NEstimators: 25}, 2, 0)
	p := make([]float64, 3)
	batch := make([]float64, test.Rows()*3)
	m.PredictBatch(test.X, batch, 3)
	for i := range test.Rows() {
		m.PredictProba(test.Row(i), p)
		s := p[0] + p[1] + p[2]
		if !near(s, 1, 1e-9) {
			t.Errorf("row %d: probabilities sum to %v", i, s)
		}
		for c := range 3 {
			if !near(p[c], batch[i*3+c], 1e-12) {
				t.Errorf("row %d: batch %v != single %v", i, batch[i*3:i*3+3], p)
			}
		}
	}
}

func TestForestErrors(t *testing.T) {
	one, err := ReadCSV([]byte("a,label\n1,x\n2,x\n"), "one.csv", &CSVOptions{Label: "label"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FitForest(context.Background(), one, ForestParams{}, 1, 1); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class: err = %v, want ErrOneClass", err)
	}
	train, _ := irisSplit(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := FitForest(ctx, train, ForestParams{NEstimators: 50}, 1, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestPredictBatchWorkers(t *testing.T) {
	d := makeNoisyBlobs(1500, 6, 3, 21, 0.1)
	m := fitModel(t, d.Subset(seq(0, 1000)), ForestParams{NEstimators: 10}, 5, 2)
	single := make([]float64, 3)
	for _, rows := range []int{0, 1, 3, 500} {
		x := d.Subset(seq(1000, 1000+rows)).X
		for _, workers := range []int{1, 2, 3, 7} {
			got := make([]float64, rows*3)
			m.PredictBatch(x, got, workers)
			for i := range rows {
				m.PredictProba(x[i*6:(i+1)*6], single)
				for c := range 3 {
					if got[i*3+c] != single[c] {
						t.Fatalf("rows=%d workers=%d row %d: batch %v, single %v", rows, workers, i, got[i*3:i*3+3], single)
					}
				}
			}
		}
	}
}
