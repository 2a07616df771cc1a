package ml

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMidpoint(t *testing.T) {
	tests := []struct{ a, b float32 }{
		{1, 2}, {0.8, 0.9}, {-3, 5}, {1, math.Nextafter32(1, 2)}, {-1e30, 1e30},
	}
	for _, tt := range tests {
		m := midpoint(tt.a, tt.b)
		if !(tt.a <= m && m < tt.b) {
			t.Errorf("midpoint(%v, %v) = %v, not in [a, b)", tt.a, tt.b, m)
		}
	}
}

func TestBinnedConsistentWithThresholds(t *testing.T) {
	for _, distinct := range []int{5, 300, 5000} {
		r := rand.New(rand.NewPCG(uint64(distinct), 2))
		n := 4000
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(r.IntN(distinct)) * 0.37
		}
		b := newBinned(x, n, 1, 2)
		nb := len(b.hi[0])
		if nb > maxBins || (distinct <= maxBins && nb > distinct) {
			t.Fatalf("%d distinct: %d bins", distinct, nb)
		}
		for k := 0; k+1 < nb; k++ {
			thr := midpoint(b.hi[0][k], b.lo[0][k+1])
			for i, v := range x {
				left := float32(v) <= thr
				if left != (b.codes[0][i] <= uint8(k)) {
					t.Fatalf("%d distinct: row %d value %v bin %d disagrees with threshold %v of bin %d", distinct, i, v, b.codes[0][i], thr, k)
				}
			}
		}
	}
}
