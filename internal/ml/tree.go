package ml

import (
	"math"
	"math/rand/v2"
	"slices"
)

// node is one tree node in depth-first (preorder) layout: a split node's left
// child is the next node and Next is its right child. Once a tree is
// finished, a leaf compares its Feature 0 against -Inf and loops to itself
// (Next is its own index), so walks take a fixed number of branch-free steps.
type node struct {
	Threshold float32
	Feature   int32
	Next      int32
}

// Tree is one fitted CART classification tree.
type Tree struct {
	nodes []node
	// leafOff holds, per node, the offset of a leaf's class distribution in
	// counts and proba, or -1 for a split node.
	leafOff []int32
	// depth is the greatest number of splits from the root to a leaf.
	depth int
	// counts holds, per leaf, the weighted training class counts.
	counts []float64
	// proba holds, per leaf, counts normalized to sum to one.
	proba []float64
}

// NumNodes returns the number of nodes.
func (t *Tree) NumNodes() int { return len(t.nodes) }

// Depth returns the greatest number of splits from the root to a leaf.
func (t *Tree) Depth() int { return t.depth }

// finish turns leaves (Feature -1, Next = value offset) into self loops and
// computes leafOff and depth.
func (t *Tree) finish(nClasses int) {
	t.leafOff = make([]int32, len(t.nodes))
	depth := make([]int32, len(t.nodes))
	t.depth = 0
	for i := range t.nodes {
		n := &t.nodes[i]
		if n.Feature < 0 {
			t.leafOff[i] = n.Next
			*n = node{Threshold: float32(math.Inf(-1)), Feature: 0, Next: int32(i)}
			t.depth = max(t.depth, int(depth[i]))
			continue
		}
		t.leafOff[i] = -1
		depth[i+1] = depth[i] + 1
		depth[n.Next] = depth[i] + 1
	}
	t.normalize(nClasses)
}

// leaf returns the offset into proba of the leaf that x falls into.
func (t *Tree) leaf(x []float64) int32 {
	nodes := t.nodes
	i := int32(0)
	for range t.depth {
		n := &nodes[i]
		i = step(i, n, float32(x[n.Feature]))
	}
	return t.leafOff[i]
}

// treeParams are the resolved growth limits.
type treeParams struct {
	maxDepth        int // 0 = unlimited
	minSamplesLeaf  int
	minSamplesSplit int
	maxFeatures     int
}

// sample packs a training row index (bits 0–31), its class (bits 32–39) and
// its bootstrap count (bits 40–63), so the hot loops read one word per row.
type sample uint64

func (s sample) row() uint32 { return uint32(s) }
func (s sample) cls() int    { return int(uint8(s >> 32)) }
func (s sample) w() int64    { return int64(s >> 40) }

// builder grows trees; one per worker, reused across trees.
type builder struct {
	b        *binned
	y        []uint8
	nClasses int
	p        treeParams

	counts  []int32 // bootstrap count per row
	samples []sample
	feats   []int
	hist    []int64  // maxBins*nClasses class weights per bin
	cnt     []int32  // maxBins sample counts per bin
	items   []uint64 // small-node sort buffer: bin<<56 | class<<48 | weight
	left    []int64  // running left class weights (scratch)
	total   []int64  // class weights of the current node
	stack   []task
	totals  []int64 // class weights of the tasks on stack, nClasses each
}

type task struct {
	start, end int
	depth      int
	parent     int32 // node whose Next is this task's index; -1 for root or a left child
}

// splitResult is the best split of one node.
type splitResult struct {
	feature   int
	last      uint8 // last bin of the left side
	next      uint8 // first bin of the right side
	proxy     float64
	threshold float32
}

func newBuilder(b *binned, y []uint8, nClasses int, p treeParams) *builder {
	return &builder{
		b: b, y: y, nClasses: nClasses, p: p,
		counts: make([]int32, b.rows),
		feats:  make([]int, len(b.codes)),
		hist:   make([]int64, maxBins*nClasses),
		cnt:    make([]int32, maxBins),
		left:   make([]int64, nClasses),
		total:  make([]int64, nClasses),
	}
}

// grow fits one tree on a bootstrap sample drawn from r.
func (bl *builder) grow(r *rand.Rand) *Tree {
	n := bl.b.rows
	C := bl.nClasses
	clear(bl.counts)
	for range n {
		bl.counts[r.IntN(n)]++
	}
	bl.samples = bl.samples[:0]
	root := make([]int64, C)
	for i, w := range bl.counts {
		if w > 0 {
			bl.samples = append(bl.samples, sample(uint64(i)|uint64(bl.y[i])<<32|uint64(w)<<40))
			root[bl.y[i]] += int64(w)
		}
	}
	t := &Tree{}
	bl.stack = append(bl.stack[:0], task{start: 0, end: len(bl.samples), parent: -1})
	bl.totals = append(bl.totals[:0], root...)
	for len(bl.stack) > 0 {
		tk := bl.stack[len(bl.stack)-1]
		bl.stack = bl.stack[:len(bl.stack)-1]
		k := len(bl.totals) - C
		copy(bl.total, bl.totals[k:])
		bl.totals = bl.totals[:k]
		idx := int32(len(t.nodes))
		if tk.parent >= 0 {
			t.nodes[tk.parent].Next = idx
		}
		sp, ok := bl.split(tk, r)
		if !ok {
			off := int32(len(t.counts))
			for _, v := range bl.total {
				t.counts = append(t.counts, float64(v))
			}
			t.nodes = append(t.nodes, node{Feature: -1, Next: off})
			continue
		}
		clear(bl.left)
		mid := bl.partition(tk.start, tk.end, sp.feature, sp.last, bl.left)
		t.nodes = append(t.nodes, node{Feature: int32(sp.feature), Threshold: sp.threshold})
		// push right then left: the left child is built next, right after its parent
		bl.stack = append(bl.stack,
			task{start: mid, end: tk.end, depth: tk.depth + 1, parent: idx},
			task{start: tk.start, end: mid, depth: tk.depth + 1, parent: -1})
		for c := range C {
			bl.totals = append(bl.totals, bl.total[c]-bl.left[c])
		}
		bl.totals = append(bl.totals, bl.left...)
	}
	t.finish(C)
	return t
}

// partition moves samples with bin <= last of feature f first, adds their
// class weights to left, and returns the boundary.
func (bl *builder) partition(start, end, f int, last uint8, left []int64) int {
	codes := bl.b.codes[f]
	s := bl.samples
	i, j := start, end-1
	for i <= j {
		v := s[i]
		if codes[v.row()] <= last {
			left[v.cls()] += v.w()
			i++
		} else {
			s[i], s[j] = s[j], v
			j--
		}
	}
	return i
}

// split finds the best Gini split of samples[tk.start:tk.end], whose class
// weights are in bl.total, over a random subset of features, as
// scikit-learn's best splitter does: features are drawn without replacement
// until max_features have been visited and at least one was not constant.
func (bl *builder) split(tk task, r *rand.Rand) (splitResult, bool) {
	samples := bl.samples[tk.start:tk.end]
	n := len(samples)
	if (bl.p.maxDepth > 0 && tk.depth >= bl.p.maxDepth) || n < bl.p.minSamplesSplit || n < 2*bl.p.minSamplesLeaf {
		return splitResult{}, false
	}
	var wsum int64
	nonzero := 0
	var parentProxy float64
	for _, v := range bl.total {
		wsum += v
		if v > 0 {
			nonzero++
		}
		parentProxy += float64(v) * float64(v)
	}
	if nonzero <= 1 {
		return splitResult{}, false // pure
	}
	parentProxy /= float64(wsum)
	// any valid split is accepted (its impurity decrease is >= 0); the
	// margin absorbs rounding
	best := splitResult{proxy: parentProxy - 1e-9*parentProxy}
	found := false
	nf := len(bl.feats)
	for i := range bl.feats {
		bl.feats[i] = i
	}
	visited, constants := 0, 0
	for k := 0; k < nf && (visited < bl.p.maxFeatures || visited <= constants); k++ {
		j := k + r.IntN(nf-k)
		bl.feats[k], bl.feats[j] = bl.feats[j], bl.feats[k]
		f := bl.feats[k]
		visited++
		sp, valid, nonConst := bl.bestForFeature(samples, f, wsum)
		if !nonConst {
			constants++
			continue
		}
		if valid && sp.proxy > best.proxy {
			best, found = sp, true
		}
	}
	if found {
		best.threshold = midpoint(bl.b.hi[best.feature][best.last], bl.b.lo[best.feature][best.next])
	}
	return best, found
}

// bestForFeature returns the best split of the node on feature f by the
// proxy Σ_children Σ_c w_c² / w (larger is better), whether any split meets
// min_samples_leaf, and whether f is non-constant in the node.
func (bl *builder) bestForFeature(samples []sample, f int, wsum int64) (splitResult, bool, bool) {
	C := bl.nClasses
	codes := bl.b.codes[f]
	minLeaf := int32(bl.p.minSamplesLeaf)
	n := int32(len(samples))
	nb := len(bl.b.hi[f])
	total := bl.total
	best := splitResult{feature: f}
	valid := false
	left := bl.left
	clear(left)
	var wl int64
	var nl int32
	// eval scores the boundary between bins last and next.
	eval := func(last, next int) {
		if nl < minLeaf || n-nl < minLeaf {
			return
		}
		var sl, sr float64
		for c := range C {
			l := float64(left[c])
			rr := float64(total[c]) - l
			sl += l * l
			sr += rr * rr
		}
		p := sl/float64(wl) + sr/float64(wsum-wl)
		if !valid || p > best.proxy {
			best.proxy, best.last, best.next, valid = p, uint8(last), uint8(next), true
		}
	}
	if int(n)*4 >= nb {
		hist, cnt := bl.hist[:nb*C], bl.cnt[:nb]
		clear(hist)
		clear(cnt)
		lo, hi := nb, -1
		for _, s := range samples {
			b := int(codes[s.row()])
			hist[b*C+s.cls()] += s.w()
			cnt[b]++
			lo, hi = min(lo, b), max(hi, b)
		}
		if lo == hi {
			return best, false, false
		}
		prev := -1
		for b := lo; b <= hi; b++ {
			if cnt[b] == 0 {
				continue
			}
			if prev >= 0 {
				eval(prev, b)
			}
			h := hist[b*C : b*C+C]
			for c, v := range h {
				left[c] += v
				wl += v
			}
			nl += cnt[b]
			prev = b
		}
		return best, valid, true
	}
	items := bl.items[:0]
	for _, s := range samples {
		items = append(items, uint64(codes[s.row()])<<56|uint64(s.cls())<<48|uint64(s.w()))
	}
	bl.items = items
	slices.Sort(items)
	if items[0]>>56 == items[len(items)-1]>>56 {
		return best, false, false
	}
	for i, it := range items {
		b := int(it >> 56)
		if i > 0 {
			if pb := int(items[i-1] >> 56); pb != b {
				eval(pb, b)
			}
		}
		w := int64(it & (1<<48 - 1))
		left[int(uint8(it>>48))] += w
		wl += w
		nl++
	}
	return best, valid, true
}

// normalize fills proba from counts.
func (t *Tree) normalize(nClasses int) {
	t.proba = make([]float64, len(t.counts))
	for off := 0; off < len(t.counts); off += nClasses {
		var s float64
		for _, v := range t.counts[off : off+nClasses] {
			s += v
		}
		for c := range nClasses {
			if s > 0 {
				t.proba[off+c] = t.counts[off+c] / s
			}
		}
	}
}
