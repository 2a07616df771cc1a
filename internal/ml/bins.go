package ml

import (
	"slices"
	"sync"
)

// maxBins is the number of value bins per feature used while growing trees.
// Features with at most maxBins distinct training values are binned exactly,
// so splits fall midway between adjacent values as in scikit-learn.
const maxBins = 256

// binned is a feature-major, bin-coded copy of the training features.
type binned struct {
	rows  int
	codes [][]uint8   // codes[f][i] is the bin of row i for feature f
	lo    [][]float32 // lo[f][b] is the smallest training value in bin b
	hi    [][]float32 // hi[f][b] is the largest training value in bin b
}

// newBinned bins the features of x (row-major float64) after rounding them
// to float32, the precision trees compare in. Features are binned by up to
// workers goroutines; the result does not depend on workers.
func newBinned(x []float64, rows, nf, workers int) *binned {
	b := &binned{rows: rows, codes: make([][]uint8, nf), lo: make([][]float32, nf), hi: make([][]float32, nf)}
	next := make(chan int, nf)
	for f := range nf {
		next <- f
	}
	close(next)
	var wg sync.WaitGroup
	for range max(1, min(workers, nf)) {
		wg.Go(func() {
			vals := make([]float32, rows)
			sorted := make([]float32, rows)
			for f := range next {
				b.binFeature(x, f, nf, vals, sorted)
			}
		})
	}
	wg.Wait()
	return b
}

func (b *binned) binFeature(x []float64, f, nf int, vals, sorted []float32) {
	for i := range vals {
		vals[i] = float32(x[i*nf+f])
	}
	copy(sorted, vals)
	slices.Sort(sorted)
	lo, hi := binEdges(sorted)
	codes := make([]uint8, len(vals))
	for i, v := range vals {
		// the bin is the first whose largest value is >= v
		k, n := 0, len(hi)
		for k < n {
			h := int(uint(k+n) >> 1)
			if hi[h] < v {
				k = h + 1
			} else {
				n = h
			}
		}
		codes[i] = uint8(k)
	}
	b.codes[f], b.lo[f], b.hi[f] = codes, lo, hi
}

// binEdges groups sorted values into at most maxBins bins of about equal
// counts, never splitting a run of equal values.
func binEdges(sorted []float32) (lo, hi []float32) {
	n := len(sorted)
	distinct := 0
	for i := range sorted {
		if i == 0 || sorted[i] != sorted[i-1] {
			distinct++
		}
	}
	if distinct <= maxBins {
		for i, v := range sorted {
			if i == 0 || v != sorted[i-1] {
				lo = append(lo, v)
				hi = append(hi, v)
			}
		}
		return lo, hi
	}
	start := 0
	for start < n {
		k := len(lo)
		// target end (exclusive) for bin k
		end := (k + 1) * n / maxBins
		if k == maxBins-1 || end >= n {
			end = n
		}
		if end <= start {
			end = start + 1
		}
		// extend over equal values
		for end < n && sorted[end] == sorted[end-1] {
			end++
		}
		lo = append(lo, sorted[start])
		hi = append(hi, sorted[end-1])
		start = end
	}
	return lo, hi
}

// midpoint returns a float32 threshold t with a <= t < b for a < b.
func midpoint(a, b float32) float32 {
	m := float32((float64(a) + float64(b)) / 2)
	if m >= b || m < a {
		return a
	}
	return m
}
