package ml

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/frogbridge/frogbridge/internal/jobspec"
)

// ForestParams are the random forest hyperparameters, recorded in
// metadata.json (see jobspec.ForestParams).
type ForestParams = jobspec.ForestParams

// forestDefaults resolves the zero fields of p to the scikit-learn defaults.
func forestDefaults(p ForestParams, nFeatures int) ForestParams {
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
	return FitForestShard(ctx, train, p, seed, workers, Shard{})
}

// FitForestShard is FitForest that grows only the trees of shard (tree i
// when i mod Size is Rank); the others are left nil in Trees, for
// MergeTrees to fill with the trees the other shards grew. Since tree i
// depends on (seed, i) only, the merged forest equals FitForest's.
func FitForestShard(ctx context.Context, train *Dataset, p ForestParams, seed uint64, workers int, shard Shard) (*Forest, error) {
	if err := shard.check(); err != nil {
		return nil, fmt.Errorf("fit forest: %w", err)
	}
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
	p = forestDefaults(p, nf)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, shard.Count(p.NEstimators)))
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
		if !shard.Owns(i) {
			continue
		}
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

// rowKeysOnStack is the number of features up to which PredictProba
// converts a row without allocating.
const rowKeysOnStack = 256

// PredictProba writes the class probabilities of row x into dst
// (len NumClasses). It does not allocate for up to 256 features. It panics
// when x or dst is too short.
func (f *Forest) PredictProba(x []float64, dst []float64) {
	var buf [rowKeysOnStack]uint32
	var keys []uint32
	if f.NumFeatures <= len(buf) {
		keys = buf[:f.NumFeatures]
	} else {
		keys = make([]uint32, f.NumFeatures)
	}
	for i := range keys {
		keys[i] = orderKey(float32(x[i]))
	}
	f.predictKeys(keys, dst)
}

// predictKeys is PredictProba on the order keys of a row. It walks group
// trees at a time, so that their cache misses overlap.
func (f *Forest) predictKeys(keys []uint32, dst []float64) {
	C := f.NumClasses
	dst = dst[:C]
	clear(dst)
	trees := f.Trees
	for len(trees) > 0 {
		g := min(group, len(trees))
		var nodes [group][]wnode
		var idx [group]uint32
		depth := 0
		for k, t := range trees[:g] {
			nodes[k] = t.nodes
			depth = max(depth, t.depth)
		}
		for range depth {
			var moved uint32
			for k := range g {
				i := idx[k]
				n := &nodes[k][i]
				next := n.next(keys[n.Feature])
				idx[k] = next
				moved |= next ^ i
			}
			if moved == 0 {
				break // every walk has reached its leaf
			}
		}
		for k, t := range trees[:g] {
			off := nodes[k][idx[k]].Leaf
			for c, v := range t.proba[off : off+uint32(C)] {
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
// four rows at a time. keys is scratch of len(x).
func (f *Forest) predictBlock(x []float64, rows int, dst []float64, keys []uint32) {
	C, nf := f.NumClasses, f.NumFeatures
	dst = dst[:rows*C]
	clear(dst)
	keys = keys[:rows*nf]
	for i, v := range x[:rows*nf] {
		keys[i] = orderKey(float32(v))
	}
	// past the last row, walks repeat it and their results are dropped
	row := func(r int) *uint32 { return &keys[min(r, rows-1)*nf] }
	for _, t := range f.Trees {
		t.fetch()
		for r0 := 0; r0 < rows; r0 += 4 {
			l0, l1, l2, l3 := walk4(t.nodes, row(r0), row(r0+1), row(r0+2), row(r0+3))
			for k, l := range [4]uint32{l0, l1, l2, l3} {
				if r0+k >= rows {
					break
				}
				off := t.nodes[l].Leaf
				d := dst[(r0+k)*C : (r0+k+1)*C]
				for c, v := range t.proba[off : off+uint32(C)] {
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

// fetchSink keeps fetch's reads from being optimized away.
var fetchSink atomic.Uint32

// fetch reads t's nodes and class distributions in address order, so that
// the hardware prefetcher brings the tree into cache ahead of the random
// accesses of the walks (measured: a third off batch prediction of deep
// trees).
func (t *Tree) fetch() {
	var s uint32
	for i := 0; i < len(t.nodes); i += 4 { // 4 nodes per 64-byte line
		s += t.nodes[i].Child
	}
	for i := 0; i < len(t.proba); i += 8 {
		s += uint32(t.proba[i])
	}
	fetchSink.Store(s)
}

// walk4 walks four rows down one tree together and returns their leaves.
// r0–r3 point at the rows' first feature keys. The walks are independent,
// so their memory loads overlap, and each step is branch-free.
//
// It reads nodes and rows without bounds checks, which makes up about a tenth
// of the time of batch prediction. That is sound because finish builds every
// tree so that Child and Child+1 of a split node are nodes of the tree and a
// leaf's Child is itself, and every Feature is below the number of features
// (checked when a model is read, by construction when it is fitted), while
// each row holds that many keys.
func walk4(nodes []wnode, r0, r1, r2, r3 *uint32) (i0, i1, i2, i3 uint32) {
	base := unsafe.Pointer(unsafe.SliceData(nodes))
	at := func(i uint32) *wnode { return (*wnode)(unsafe.Add(base, uintptr(i)*unsafe.Sizeof(wnode{}))) }
	key := func(r *uint32, n *wnode) uint32 {
		return *(*uint32)(unsafe.Add(unsafe.Pointer(r), uintptr(n.Feature)*4))
	}
	for {
		n0, n1, n2, n3 := at(i0), at(i1), at(i2), at(i3)
		j0 := n0.next(key(r0, n0))
		j1 := n1.next(key(r1, n1))
		j2 := n2.next(key(r2, n2))
		j3 := n3.next(key(r3, n3))
		if (j0^i0)|(j1^i1)|(j2^i2)|(j3^i3) == 0 {
			return
		}
		i0, i1, i2, i3 = j0, j1, j2, j3
	}
}
