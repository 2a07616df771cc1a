package ml

import (
	"context"
	"testing"
)

// benchData is a generated 20,000 × 20, 3-class set with 10 % label noise
// (a quarter of synth100k's training rows, with similarly deep trees).
func benchData(b *testing.B) (train, test *Dataset) {
	b.Helper()
	full := makeNoisyBlobs(25000, 20, 3, 42, 0.1)
	return full.Subset(seq(0, 20000)), full.Subset(seq(20000, 25000))
}

func BenchmarkFitForest(b *testing.B) {
	train, _ := benchData(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := FitForest(context.Background(), train, ForestParams{NEstimators: 20}, 42, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitLogistic(b *testing.B) {
	train, _ := benchData(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := FitLogistic(context.Background(), train, LogisticParams{}, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func benchForest(b *testing.B) (*Model, *Dataset) {
	train, test := benchData(b)
	return fitModel(b, train, ForestParams{NEstimators: 100}, 42, 0), test
}

func BenchmarkPredictBatch(b *testing.B) {
	m, test := benchForest(b)
	dst := make([]float64, test.Rows()*len(m.Classes))
	b.ResetTimer()
	for b.Loop() {
		m.PredictBatch(test.X, dst, 0)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*test.Rows()), "ns/row")
}

func BenchmarkPredictSingleRow(b *testing.B) {
	m, test := benchForest(b)
	dst := make([]float64, len(m.Classes))
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		m.PredictProba(test.Row(i%test.Rows()), dst)
		i++
	}
}
