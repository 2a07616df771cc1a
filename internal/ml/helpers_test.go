package ml

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// makeBlobs generates n rows of nf features around one centre per class,
// with noise so that classes overlap.
func makeBlobs(n, nf, classes int, seed uint64) *Dataset {
	return makeNoisyBlobs(n, nf, classes, seed, 0)
}

// makeNoisyBlobs is makeBlobs with a fraction flip of labels replaced at
// random, which grows deep trees as real data does.
func makeNoisyBlobs(n, nf, classes int, seed uint64, flip float64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 1))
	d := &Dataset{Name: "blobs", X: make([]float64, 0, n*nf), Y: make([]int, n)}
	for f := range nf {
		d.Features = append(d.Features, "f"+strconv.Itoa(f))
	}
	for c := range classes {
		d.Classes = append(d.Classes, strconv.Itoa(c))
	}
	centres := make([]float64, classes*nf)
	for i := range centres {
		centres[i] = r.NormFloat64() * 2
	}
	for i := range n {
		c := r.IntN(classes)
		d.Y[i] = c
		for f := range nf {
			d.X = append(d.X, centres[c*nf+f]+r.NormFloat64()*1.5)
		}
		if r.Float64() < flip {
			d.Y[i] = r.IntN(classes)
		}
	}
	return d
}

func accuracy(t testing.TB, m *Model, d *Dataset) float64 {
	t.Helper()
	p, err := m.PredictDataset(d, 0)
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for i, c := range p.Class {
		if c == d.Y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(p.Class))
}

func irisSplit(t testing.TB) (train, test *Dataset) {
	t.Helper()
	d, err := Iris()
	if err != nil {
		t.Fatal(err)
	}
	train, test, err = SplitByColumn(d)
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
