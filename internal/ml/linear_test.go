package ml

import (
	"context"
	"errors"
	"testing"
)

func TestLogisticIris(t *testing.T) {
	train, test := irisSplit(t)
	l, err := FitLogistic(context.Background(), train, LogisticParams{MaxIter: 500}, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{Type: LogisticRegression, Features: train.Features, Classes: train.Classes, Linear: l}
	if acc := accuracy(t, m, test); acc < 0.96 {
		t.Errorf("iris accuracy = %v, want >= 0.96", acc)
	}
	p := make([]float64, 3)
	for i := range test.Rows() {
		l.PredictProba(test.Row(i), p)
		if s := p[0] + p[1] + p[2]; !near(s, 1, 1e-9) {
			t.Fatalf("row %d: probabilities sum to %v", i, s)
		}
	}
}

func TestLogisticGradient(t *testing.T) {
	d := makeBlobs(500, 3, 3, 4)
	o := &logObjective{x: d.X, y: d.Y, n: 500, d: 3, k: 3, lambda: 0.01, workers: 2}
	o.partF = make([]float64, 1)
	o.partG = [][]float64{make([]float64, 12)}
	w := []float64{0.1, -0.2, 0.3, 0.05, -0.4, 0.2, 0.1, -0.1, 0.3, 0.2, 0.1, 0}
	o.eval(w)
	g := append([]float64(nil), o.g...)
	const h = 1e-6
	for j := range w {
		wp := append([]float64(nil), w...)
		wp[j] += h
		o.eval(wp)
		fp := o.f
		wp[j] -= 2 * h
		o.eval(wp)
		fm := o.f
		num := (fp - fm) / (2 * h)
		if !near(num, g[j], 1e-5) {
			t.Errorf("gradient[%d] = %v, finite difference %v", j, g[j], num)
		}
	}
}

func TestLogisticDeterministicAcrossWorkers(t *testing.T) {
	d := makeBlobs(10000, 5, 3, 8)
	var first []byte
	for _, w := range []int{1, 2, 4} {
		l, err := FitLogistic(context.Background(), d, LogisticParams{}, w)
		if err != nil {
			t.Fatal(err)
		}
		b, err := (&Model{Type: LogisticRegression, Features: d.Features, Classes: d.Classes, Linear: l}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if string(first) != string(b) {
			t.Fatalf("workers=%d: model differs", w)
		}
	}
}

func TestLogisticOneClass(t *testing.T) {
	one, _ := ReadCSV([]byte("a,label\n1,x\n2,x\n"), "one.csv", &CSVOptions{Label: "label"})
	if _, err := FitLogistic(context.Background(), one, LogisticParams{}, 1); !errors.Is(err, ErrOneClass) {
		t.Errorf("err = %v, want ErrOneClass", err)
	}
}
