package ml

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Shard selects the trees of a forest one process grows when a forest is
// grown by several: tree i belongs to rank i mod Size. The zero Shard is
// the whole forest.
type Shard struct {
	// Rank is this process's rank, 0 <= Rank < Size.
	Rank int
	// Size is the number of processes (0 or 1: one).
	Size int
}

func (s Shard) size() int { return max(1, s.Size) }

func (s Shard) check() error {
	if s.Size < 0 || s.Rank < 0 || s.Rank >= s.size() {
		return fmt.Errorf("shard rank %d of %d: the rank must be from 0 to the size - 1", s.Rank, s.Size)
	}
	return nil
}

// Owns reports whether tree i belongs to s.
func (s Shard) Owns(i int) bool { return i%s.size() == s.Rank }

// Count returns how many of n trees belong to s.
func (s Shard) Count(n int) int {
	if s.Rank >= n {
		return 0
	}
	return (n-1-s.Rank)/s.size() + 1
}

// ErrMissingTrees is returned by Forest.Complete when a tree was not grown
// or received.
var ErrMissingTrees = errors.New("forest is missing trees")

// Complete returns an error matching ErrMissingTrees naming the first
// missing tree, or nil when every tree is there.
func (f *Forest) Complete() error {
	for i, t := range f.Trees {
		if t == nil {
			return fmt.Errorf("tree %d of %d: %w", i, len(f.Trees), ErrMissingTrees)
		}
	}
	return nil
}

// Tree binary encoding, used to send trees between processes (the model
// file stays JSON). Little-endian:
//
//	u32 nodes, nodes × i32 feature (preorder, -1 for a leaf)
//	u32 thresholds, × f32 threshold (per split node, in order)
//	u32 values, × f64 class count (per leaf, in order)
//
// It carries exactly the model file's fields, so a tree that travels
// encodes to the same model file bytes.

// MarshalBinary encodes t.
func (t *Tree) MarshalBinary() ([]byte, error) {
	tb := t.body()
	out := make([]byte, 0, 12+4*len(tb.Feature)+4*len(tb.Threshold)+8*len(tb.Value))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(tb.Feature)))
	for _, f := range tb.Feature {
		out = binary.LittleEndian.AppendUint32(out, uint32(f))
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(len(tb.Threshold)))
	for _, v := range tb.Threshold {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(len(tb.Value)))
	for _, v := range tb.Value {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
	}
	return out, nil
}

// DecodeTree decodes a tree of MarshalBinary for a forest of nf features
// and nClasses classes, with the checks of a model file's trees.
func DecodeTree(b []byte, nf, nClasses int) (*Tree, error) {
	var tb treeBody
	rd := func(size int) (int, error) {
		if len(b) < 4 {
			return 0, errors.New("tree: truncated")
		}
		n := int(binary.LittleEndian.Uint32(b))
		b = b[4:]
		if n > len(b)/size {
			return 0, fmt.Errorf("tree: %d entries of %d bytes in %d bytes", n, size, len(b))
		}
		return n, nil
	}
	n, err := rd(4)
	if err != nil {
		return nil, err
	}
	tb.Feature = make([]int32, n)
	for i := range tb.Feature {
		tb.Feature[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	b = b[4*n:]
	if n, err = rd(4); err != nil {
		return nil, err
	}
	tb.Threshold = make([]float32, n)
	for i := range tb.Threshold {
		tb.Threshold[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	b = b[4*n:]
	if n, err = rd(8); err != nil {
		return nil, err
	}
	tb.Value = make([]float64, n)
	for i := range tb.Value {
		tb.Value[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	if b = b[8*n:]; len(b) != 0 {
		return nil, fmt.Errorf("tree: %d bytes after the values", len(b))
	}
	t, err := tb.tree(nf, nClasses)
	if err != nil {
		return nil, fmt.Errorf("tree: %w", err)
	}
	return t, nil
}
