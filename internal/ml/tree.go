package ml

import (
	"math"
	"math/rand/v2"
	"slices"
)

// node is one tree node as a tree is grown or read from a model file:
// depth-first (preorder) layout, where a split node's left child is the next
// node and Next is its right child, and a leaf has Feature -1 and Next the
// offset of its class distribution in counts.
type node struct {
	Threshold float32
	Feature   int32
	Next      int32
}

// wnode is one node of a finished tree, laid out for walking. The children
// of a split node are adjacent, Child and Child+1, so a step is one unsigned
// comparison and one addition (see next). Thresholds and feature values are
// compared as order keys (see orderKey). A leaf has the largest key, so
// every value steps "left", onto Child, which is the leaf itself: a walk that
// reaches a leaf stays there. Leaf is a leaf's offset in counts and proba.
type wnode struct {
	Key     uint32
	Feature uint32
	Child   uint32
	Leaf    uint32
}

// leafKey is the key of a leaf: no value key exceeds it.
const leafKey = math.MaxUint32

// next returns the node that a value with key v steps to from n.
func (n *wnode) next(v uint32) uint32 {
	// v > n.Key exactly when the 64-bit difference is negative
	return n.Child + uint32((uint64(n.Key)-uint64(v))>>63)
}

// isLeaf reports whether n, at index i, is a leaf.
func (n *wnode) isLeaf(i uint32) bool { return n.Child == i }

// orderKey maps a float32 to a key whose unsigned order is the float order:
// orderKey(a) > orderKey(b) exactly when a > b, for values that are not NaN
// (-0 and +0 get the same key). NaN values have no meaningful key; rows
// with NaN are refused where data enters (the CSV reader).
func orderKey(v float32) uint32 {
	b := math.Float32bits(v + 0) // -0 + 0 = +0
	// negative: flip every bit; positive: set the sign bit (branch-free)
	return b ^ (uint32(int32(b)>>31) | 1<<31)
}

// keyValue is the inverse of orderKey.
func keyValue(k uint32) float32 {
	if k>>31 != 0 {
		return math.Float32frombits(k &^ (1 << 31))
	}
	return math.Float32frombits(^k)
}

// Tree is one fitted CART classification tree.
type Tree struct {
	// nodes is the walk layout; the root is node 0.
	nodes []wnode
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

// finish lays out the preorder nodes for walking, computes the depth and
// normalizes the class distributions. The preorder order of the leaves is
// kept in counts, so preorder writes the same tree back.
func (t *Tree) finish(pre []node, nClasses int) {
	t.nodes = make([]wnode, len(pre))
	t.depth = 0
	type item struct{ pre, at, depth int32 }
	stack := []item{{0, 0, 0}}
	free := uint32(1)
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := pre[it.pre]
		if n.Feature < 0 {
			t.nodes[it.at] = wnode{Key: leafKey, Child: uint32(it.at), Leaf: uint32(n.Next)}
			t.depth = max(t.depth, int(it.depth))
			continue
		}
		c := free
		free += 2
		t.nodes[it.at] = wnode{Key: orderKey(n.Threshold), Feature: uint32(n.Feature), Child: c}
		// the left subtree is laid out first, right after its parent's pair
		stack = append(stack, item{n.Next, int32(c + 1), it.depth + 1}, item{it.pre + 1, int32(c), it.depth + 1})
	}
	t.normalize(nClasses)
}

// preorder returns the nodes in the depth-first layout of model files.
func (t *Tree) preorder() []node {
	pre := make([]node, 0, len(t.nodes))
	// parent is the preorder index of the node whose right child at is, or -1
	type item struct {
		at     uint32
		parent int32
	}
	stack := []item{{0, -1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.parent >= 0 {
			pre[it.parent].Next = int32(len(pre))
		}
		n := &t.nodes[it.at]
		if n.isLeaf(it.at) {
			pre = append(pre, node{Feature: -1, Next: int32(n.Leaf)})
			continue
		}
		p := int32(len(pre))
		pre = append(pre, node{Threshold: keyValue(n.Key), Feature: int32(n.Feature)})
		stack = append(stack, item{n.Child + 1, p}, item{n.Child, -1})
	}
	return pre
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
	pre     []node  // the tree being grown, preorder
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
	pre := bl.pre[:0]
	bl.stack = append(bl.stack[:0], task{start: 0, end: len(bl.samples), parent: -1})
	bl.totals = append(bl.totals[:0], root...)
	for len(bl.stack) > 0 {
		tk := bl.stack[len(bl.stack)-1]
		bl.stack = bl.stack[:len(bl.stack)-1]
		k := len(bl.totals) - C
		copy(bl.total, bl.totals[k:])
		bl.totals = bl.totals[:k]
		idx := int32(len(pre))
		if tk.parent >= 0 {
			pre[tk.parent].Next = idx
		}
		sp, ok := bl.split(tk, r)
		if !ok {
			off := int32(len(t.counts))
			for _, v := range bl.total {
				t.counts = append(t.counts, float64(v))
			}
			pre = append(pre, node{Feature: -1, Next: off})
			continue
		}
		clear(bl.left)
		mid := bl.partition(tk.start, tk.end, sp.feature, sp.last, bl.left)
		pre = append(pre, node{Feature: int32(sp.feature), Threshold: sp.threshold})
		// push right then left: the left child is built next, right after its parent
		bl.stack = append(bl.stack,
			task{start: mid, end: tk.end, depth: tk.depth + 1, parent: idx},
			task{start: tk.start, end: mid, depth: tk.depth + 1, parent: -1})
		for c := range C {
			bl.totals = append(bl.totals, bl.total[c]-bl.left[c])
		}
		bl.totals = append(bl.totals, bl.left...)
	}
	bl.pre = pre
	t.finish(pre, C)
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
