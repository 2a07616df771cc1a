package ml

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// ForestParams are the random forest hyperparameters. Zero values mean the
// scikit-learn defaults.
type ForestParams struct {
	// NEstimators is the number of trees (default 100).
	NEstimators int `json:"n_estimators"`
	// MaxDepth limits tree depth; 0 grows until leaves are pure.
	MaxDepth int `json:"max_depth"`
	// MinSamplesLeaf is the least number of distinct samples in a leaf (default 1).
	MinSamplesLeaf int `json:"min_samples_leaf"`
	// MinSamplesSplit is the least number of samples to split a node (default 2).
	MinSamplesSplit int `json:"min_samples_split"`
	// MaxFeatures is the number of features drawn per split; 0 means
	// floor(sqrt(features)).
	MaxFeatures int `json:"max_features"`
}

func (p ForestParams) withDefaults(nFeatures int) ForestParams {
	if p.NEstimators <= 0 {
		p.NEstimators = 100
	}
	if p.MinSamplesLeaf <= 0 {
		p.MinSamplesLeaf = 1
	}
	if p.MinSamplesSplit < 2 {
		p.MinSamplesSplit = 2
	}
	if p.MaxFeatures <= 0 {
		p.MaxFeatures = max(1, int(math.Sqrt(float64(nFeatures))))
	}
	p.MaxFeatures = min(p.MaxFeatures, nFeatures)
	return p
}

// Forest is a fitted random forest classifier: the class probabilities of a
// row are the mean of its leaf distributions over all trees.
type Forest struct {
	// NumFeatures is the number of features a row must have.
	NumFeatures int
	// NumClasses is the length of a probability vector.
	NumClasses int
	// Params are the hyperparameters, defaults resolved.
	Params ForestParams
	// Trees are the fitted trees, in seed order.
	Trees []*Tree
}

// ErrOneClass is returned when the training data holds fewer than two classes.
var ErrOneClass = errors.New("training data has fewer than two classes")

// FitForest grows a random forest on train with the given seed. Trees are
// grown in parallel by workers goroutines (0 = all cores); tree i draws its
// randomness from PCG(seed, i), so the forest does not depend on workers.
func FitForest(ctx context.Context, train *Dataset, p ForestParams, seed uint64, workers int) (*Forest, error) {
	nf, n := len(train.Features), train.Rows()
	if n == 0 {
		return nil, fmt.Errorf("fit forest on %s: %w", train.Name, ErrEmptySplit)
	}
	if len(train.Classes) > 255 {
		return nil, fmt.Errorf("fit forest on %s: %d classes, at most 255 supported", train.Name, len(train.Classes))
	}
	if classCount(train.Y, len(train.Classes)) < 2 {
		return nil, fmt.Errorf("fit forest on %s: %w", train.Name, ErrOneClass)
	}
	p = p.withDefaults(nf)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, p.NEstimators)
	b := newBinned(train.X, n, nf, workers)
	y := make([]uint8, n)
	for i, c := range train.Y {
		y[i] = uint8(c)
	}
	tp := treeParams{maxDepth: p.MaxDepth, minSamplesLeaf: p.MinSamplesLeaf, minSamplesSplit: p.MinSamplesSplit, maxFeatures: p.MaxFeatures}
	f := &Forest{NumFeatures: nf, NumClasses: len(train.Classes), Params: p, Trees: make([]*Tree, p.NEstimators)}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			bl := newBuilder(b, y, len(train.Classes), tp)
			for i := range next {
				f.Trees[i] = bl.grow(rand.New(rand.NewPCG(seed, uint64(i))))
			}
		})
	}
	var err error
feed:
	for i := range p.NEstimators {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("fit forest: %w", err)
	}
	return f, nil
}

// group is the number of independent walks interleaved to overlap memory
// latency.
const group = 16

// PredictProba writes the class probabilities of row x into dst
// (len NumClasses). It does not allocate. It panics when x or dst is too short.
func (f *Forest) PredictProba(x []float64, dst []float64) {
	_ = x[f.NumFeatures-1]
	C := f.NumClasses
	dst = dst[:C]
	clear(dst)
	trees := f.Trees
	for len(trees) > 0 {
		g := min(group, len(trees))
		var idx [group]int32
		depth := 0
		for k := range g {
			depth = max(depth, trees[k].depth)
		}
		for range depth {
			var moved int32
			for k := range g {
				t := trees[k]
				i := idx[k]
				n := &t.nodes[i]
				next := step(i, n, float32(x[n.Feature]))
				idx[k] = next
				moved |= next ^ i
			}
			if moved == 0 {
				break // every walk has reached its leaf
			}
		}
		for k := range g {
			t := trees[k]
			off := t.leafOff[idx[k]]
			for c, v := range t.proba[off : off+int32(C)] {
				dst[c] += v
			}
		}
		trees = trees[g:]
	}
	inv := 1 / float64(len(f.Trees))
	for c := range dst {
		dst[c] *= inv
	}
}

// predictBlock writes the probabilities of rows (row-major x) into dst,
// visiting trees in the outer loop to keep each tree in cache and walking
// four rows at a time. xs is scratch of len(x).
func (f *Forest) predictBlock(x []float64, rows int, dst []float64, xs []float32) {
	C, nf := f.NumClasses, f.NumFeatures
	dst = dst[:rows*C]
	clear(dst)
	xs = xs[:rows*nf]
	for i, v := range x[:rows*nf] {
		xs[i] = float32(v)
	}
	for _, t := range f.Trees {
		for r0 := 0; r0 < rows; r0 += 4 {
			// past the last row, repeat it and drop the results
			r1, r2, r3 := min(r0+1, rows-1), min(r0+2, rows-1), min(r0+3, rows-1)
			l0, l1, l2, l3 := walk4(t.nodes, xs, r0*nf, r1*nf, r2*nf, r3*nf)
			for k, l := range [4]int32{l0, l1, l2, l3} {
				if r0+k >= rows {
					break
				}
				off := t.leafOff[l]
				d := dst[(r0+k)*C : (r0+k+1)*C]
				for c, v := range t.proba[off : off+int32(C)] {
					d[c] += v
				}
			}
		}
	}
	inv := 1 / float64(len(f.Trees))
	for i := range dst {
		dst[i] *= inv
	}
}

// walk4 walks four rows of xs, starting at offsets o0–o3, down one tree
// together and returns their leaf nodes. The walks are independent, so their
// memory loads overlap; each step is branch-free.
func walk4(nodes []node, xs []float32, o0, o1, o2, o3 int) (i0, i1, i2, i3 int32) {
	for {
		n0, n1, n2, n3 := &nodes[i0], &nodes[i1], &nodes[i2], &nodes[i3]
		j0 := step(i0, n0, xs[o0+int(n0.Feature)])
		j1 := step(i1, n1, xs[o1+int(n1.Feature)])
		j2 := step(i2, n2, xs[o2+int(n2.Feature)])
		j3 := step(i3, n3, xs[o3+int(n3.Feature)])
		if (j0^i0)|(j1^i1)|(j2^i2)|(j3^i3) == 0 {
			return
		}
		i0, i1, i2, i3 = j0, j1, j2, j3
	}
}

// step returns the child of node i (at n) that value v leads to: i+1 when
// v <= n.Threshold, else n.Next. It is branch-free: for v > t the difference
// t-v is negative (never zero for distinct floats), so its sign bit selects
// the right child.
func step(i int32, n *node, v float32) int32 {
	right := -int32(math.Float32bits(n.Threshold-v) >> 31) // all ones when v > t
	left := i + 1
	return left ^ ((left ^ n.Next) & right)
}
