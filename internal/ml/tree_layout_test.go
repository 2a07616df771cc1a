package ml

import (
	"math"
	"math/rand/v2"
	"testing"
)

// specialFloats are the float32 values where an order key could go wrong.
var specialFloats = []float32{
	float32(math.Inf(-1)), -math.MaxFloat32, -1, -math.SmallestNonzeroFloat32,
	float32(math.Copysign(0, -1)), 0, math.SmallestNonzeroFloat32, 1e-38, 0.5, 1,
	math.MaxFloat32, float32(math.Inf(1)),
}

func TestOrderKeyKeepsOrder(t *testing.T) {
	vals := append([]float32{}, specialFloats...)
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		v := math.Float32frombits(r.Uint32())
		if v != v {
			continue // NaN has no order
		}
		vals = append(vals, v)
	}
	for _, a := range vals {
		for _, b := range vals[:200] {
			if got, want := orderKey(a) > orderKey(b), a > b; got != want {
				t.Fatalf("orderKey(%g) > orderKey(%g) = %v, want %v", a, b, got, want)
			}
		}
		back := keyValue(orderKey(a))
		if back != a || (a != 0 && math.Float32bits(back) != math.Float32bits(a)) {
			t.Fatalf("keyValue(orderKey(%g)) = %g", a, back)
		}
		if orderKey(a) == leafKey {
			t.Fatalf("orderKey(%g) is the leaf key", a)
		}
	}
	if orderKey(float32(math.Copysign(0, -1))) != orderKey(0) {
		t.Error("-0 and +0 have different keys")
	}
}

// TestWalkLayout checks that the walk layout keeps every node of the
// preorder tree, that children are adjacent and inside the tree, and that
// the preorder comes back unchanged.
func TestWalkLayout(t *testing.T) {
	d := makeNoisyBlobs(800, 5, 3, 9, 0.2)
	m := fitModel(t, d, ForestParams{NEstimators: 5}, 3, 1)
	for ti, tr := range m.Forest.Trees {
		leaves, splits := 0, 0
		for i, n := range tr.nodes {
			if n.isLeaf(uint32(i)) {
				if n.Key != leafKey || int(n.Leaf)%3 != 0 || int(n.Leaf) >= len(tr.proba) {
					t.Fatalf("tree %d leaf %d: %+v", ti, i, n)
				}
				leaves++
				continue
			}
			if n.Child <= uint32(i) || int(n.Child)+1 >= len(tr.nodes) || n.Feature >= 5 {
				t.Fatalf("tree %d split %d: %+v of %d nodes", ti, i, n, len(tr.nodes))
			}
			splits++
		}
		if leaves != splits+1 || leaves*3 != len(tr.proba) {
			t.Fatalf("tree %d: %d leaves, %d splits, %d values", ti, leaves, splits, len(tr.proba))
		}
		again := &Tree{counts: tr.counts}
		again.finish(tr.preorder(), 3)
		if len(again.nodes) != len(tr.nodes) {
			t.Fatalf("tree %d: %d nodes after a round trip, want %d", ti, len(again.nodes), len(tr.nodes))
		}
		for i := range tr.nodes {
			if again.nodes[i] != tr.nodes[i] {
				t.Fatalf("tree %d node %d: %+v after a round trip, want %+v", ti, i, again.nodes[i], tr.nodes[i])
			}
		}
	}
}

func TestPredictProbaDoesNotAllocate(t *testing.T) {
	d := makeNoisyBlobs(300, 4, 3, 5, 0.1)
	m := fitModel(t, d, ForestParams{NEstimators: 20}, 1, 1)
	dst := make([]float64, 3)
	row := d.Row(7)
	if n := testing.AllocsPerRun(100, func() { m.PredictProba(row, dst) }); n != 0 {
		t.Errorf("PredictProba allocates %v times per row", n)
	}
}
