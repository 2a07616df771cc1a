package ml

// TreeNode is one node of a fitted tree as exporters see it.
type TreeNode struct {
	// Feature is the index of the feature a split compares, or -1 for a leaf.
	Feature int
	// Threshold is a split's threshold: a row goes to Left when
	// float32(x[Feature]) <= Threshold, else to Right. Thresholds are
	// float32 values and never NaN or infinite.
	Threshold float32
	// Left and Right index the children in the tree's node list (splits only).
	Left, Right int
	// Proba is a leaf's class distribution, the training class counts over
	// their sum, as PredictProba uses it; nil for a split. It aliases the
	// tree: do not modify it.
	Proba []float64
}

// Nodes returns the tree's nodes in preorder (the root is node 0, and a
// split's left child follows it).
func (t *Tree) Nodes() []TreeNode {
	pre := t.preorder()
	C := 0
	if leaves := t.numLeaves(); leaves > 0 {
		C = len(t.proba) / leaves
	}
	out := make([]TreeNode, len(pre))
	for i, n := range pre {
		if n.Feature < 0 {
			off := int(n.Next)
			out[i] = TreeNode{Feature: -1, Proba: t.proba[off : off+C : off+C]}
			continue
		}
		out[i] = TreeNode{Feature: int(n.Feature), Threshold: n.Threshold, Left: i + 1, Right: int(n.Next)}
	}
	return out
}

// numLeaves counts the leaves of t.
func (t *Tree) numLeaves() int {
	n := 0
	for i := range t.nodes {
		if t.nodes[i].isLeaf(uint32(i)) {
			n++
		}
	}
	return n
}
