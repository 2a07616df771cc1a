package ml

import (
	"fmt"
	"math/rand/v2"
)

// PartitionByColumn is SplitByColumn without copying the data: it reorders
// the rows of d in place, train rows first and test rows after, each side
// in its original order, and returns train and test as views of d's
// storage. Only the test rows are buffered while rows move, so the peak
// memory is d plus its test side, not twice d. d must not be used after a
// successful call except through the returned views; on error d is
// unchanged.
func PartitionByColumn(d *Dataset) (train, test *Dataset, err error) {
	if d.Test == nil {
		return nil, nil, fmt.Errorf("split %s: no split column; set --split-column or use --test-size", d.Name)
	}
	return partition(d, d.Test)
}

// PartitionRandom is RandomSplit without copying the data: the same rows
// go to each side, in the same order, as with RandomSplit and the same
// seed, and d's storage is reordered in place as by PartitionByColumn.
func PartitionRandom(d *Dataset, testSize float64, seed uint64) (train, test *Dataset, err error) {
	n := d.Rows()
	if !(testSize > 0 && testSize < 1) {
		return nil, nil, fmt.Errorf("split %s: test size %v out of range; set --test-size between 0 and 1", d.Name, testSize)
	}
	return partition(d, randomTestRows(n, testSize, seed))
}

// randomTestRows marks round(testSize*n) rows (at least one) as test rows,
// chosen as in RandomSplit.
func randomTestRows(n int, testSize float64, seed uint64) []bool {
	nTest := int(float64(n)*testSize + 0.5)
	if nTest < 1 && n > 1 {
		nTest = 1
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed5))
	perm := r.Perm(n)
	isTest := make([]bool, n)
	for _, p := range perm[:min(nTest, n)] {
		isTest[p] = true
	}
	return isTest
}

// partition moves the rows marked in isTest behind the others, stably.
func partition(d *Dataset, isTest []bool) (train, test *Dataset, err error) {
	n, nf := d.Rows(), len(d.Features)
	nTest := 0
	for _, t := range isTest {
		if t {
			nTest++
		}
	}
	if n-nTest == 0 {
		return nil, nil, fmt.Errorf("split %s: train split: %w", d.Name, ErrEmptySplit)
	}
	if nTest == 0 {
		return nil, nil, fmt.Errorf("split %s: test split: %w", d.Name, ErrEmptySplit)
	}
	bufX := make([]float64, 0, nTest*nf)
	var bufY []int
	if d.Y != nil {
		bufY = make([]int, 0, nTest)
	}
	w := 0
	for i := range n {
		if isTest[i] {
			bufX = append(bufX, d.X[i*nf:(i+1)*nf]...)
			if d.Y != nil {
				bufY = append(bufY, d.Y[i])
			}
			continue
		}
		if w != i {
			copy(d.X[w*nf:(w+1)*nf], d.X[i*nf:(i+1)*nf])
			if d.Y != nil {
				d.Y[w] = d.Y[i]
			}
		}
		w++
	}
	copy(d.X[w*nf:], bufX)
	if d.Y != nil {
		copy(d.Y[w:], bufY)
	}
	view := func(lo, hi int) *Dataset {
		s := &Dataset{Name: d.Name, Features: d.Features, Classes: d.Classes, SHA256: d.SHA256}
		s.X = d.X[lo*nf : hi*nf : hi*nf]
		if d.Y != nil {
			s.Y = d.Y[lo:hi:hi]
		}
		return s
	}
	d.Test = nil
	return view(0, w), view(w, n), nil
}
