package ml

import (
	"slices"
	"testing"
)

// TestTreeNodesWalkMatchesPredict walks every tree through Nodes with the
// documented rule and checks that the averaged leaf distributions are the
// forest's probabilities, bit for bit, and that a tree's node list survives
// a model file round trip.
func TestTreeNodesWalkMatchesPredict(t *testing.T) {
	d := makeNoisyBlobs(2000, 6, 3, 9, 0.2)
	m := fitModel(t, d, ForestParams{NEstimators: 15, MinSamplesLeaf: 3}, 42, 0)
	nf, C := len(d.Features), len(d.Classes)
	want, got := make([]float64, C), make([]float64, C)
	impure := 0
	for r := range d.Rows() {
		x := d.X[r*nf : (r+1)*nf]
		m.PredictProba(x, want)
		clear(got)
		for _, tr := range m.Forest.Trees {
			nodes := tr.Nodes()
			i := 0
			for nodes[i].Feature >= 0 {
				if float32(x[nodes[i].Feature]) <= nodes[i].Threshold {
					i = nodes[i].Left
				} else {
					i = nodes[i].Right
				}
			}
			for c, v := range nodes[i].Proba {
				got[c] += v
			}
			if slices.Max(nodes[i].Proba) < 1 {
				impure++
			}
		}
		for c := range got {
			got[c] *= 1 / float64(len(m.Forest.Trees))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("row %d: walk over Nodes gives %v, PredictProba %v", r, got, want)
		}
	}
	if impure == 0 {
		t.Fatal("no impure leaf was reached: the test does not cover fractional distributions")
	}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeModel(b, "round trip")
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range m.Forest.Trees {
		a, z := tr.Nodes(), back.Forest.Trees[i].Nodes()
		if !slices.EqualFunc(a, z, func(p, q TreeNode) bool {
			return p.Feature == q.Feature && p.Threshold == q.Threshold && p.Left == q.Left && p.Right == q.Right && slices.Equal(p.Proba, q.Proba)
		}) {
			t.Fatalf("tree %d: nodes differ after a model file round trip", i)
		}
	}
}
