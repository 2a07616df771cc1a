package ml

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestShardOwnsAndCount(t *testing.T) {
	for _, size := range []int{1, 2, 3, 7} {
		for _, n := range []int{1, 2, 5, 12} {
			total := 0
			for rank := range size {
				s := Shard{Rank: rank, Size: size}
				owned := 0
				for i := range n {
					if s.Owns(i) {
						owned++
					}
				}
				if got := s.Count(n); got != owned {
					t.Errorf("Shard{%d,%d}.Count(%d) = %d, owns %d", rank, size, n, got, owned)
				}
				total += owned
			}
			if total != n {
				t.Errorf("size %d, %d trees: shards own %d", size, n, total)
			}
		}
	}
	if err := (Shard{Rank: 2, Size: 2}).check(); err == nil {
		t.Error("rank 2 of 2 accepted")
	}
}

// TestShardedForestEqualsWhole grows a forest in shards, moves each tree
// through its binary encoding and checks the merged model file is the
// single-process one, byte for byte.
func TestShardedForestEqualsWhole(t *testing.T) {
	d := makeBlobs(2000, 6, 3, 9)
	p := ForestParams{NEstimators: 11}
	whole, err := fitModel(t, d, p, 42, 2).Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{2, 3, 12} {
		var merged *Forest
		for rank := range size {
			f, err := FitForestShard(context.Background(), d, p, 42, 1, Shard{Rank: rank, Size: size})
			if err != nil {
				t.Fatal(err)
			}
			if merged == nil {
				merged = f
				if rank == 0 && size <= p.NEstimators && merged.Complete() == nil {
					t.Fatalf("size %d: rank 0's shard is complete on its own", size)
				}
				continue
			}
			for i, tr := range f.Trees {
				if tr == nil {
					continue
				}
				b, err := tr.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				back, err := DecodeTree(b, len(d.Features), len(d.Classes))
				if err != nil {
					t.Fatalf("tree %d: %v", i, err)
				}
				merged.Trees[i] = back
			}
		}
		if err := merged.Complete(); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		got, err := (&Model{Type: RandomForest, Features: d.Features, Classes: d.Classes, Seed: 42, Forest: merged}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, whole) {
			t.Errorf("size %d: merged model.json differs from the single-process one", size)
		}
	}
}

func TestTrainGathers(t *testing.T) {
	train, test := irisSplit(t)
	opts := TrainOptions{Forest: ForestParams{NEstimators: 10}, Seed: 42, Shard: Shard{Rank: 0, Size: 2}}
	if _, err := Train(context.Background(), train, test, opts); err == nil {
		t.Error("a shard without Gather trained")
	}
	opts.Gather = func(context.Context, *Forest) error { return nil }
	if _, err := Train(context.Background(), train, test, opts); !errors.Is(err, ErrMissingTrees) {
		t.Errorf("Gather that adds nothing: err = %v, want ErrMissingTrees", err)
	}
	want := errors.New("rank 1 died")
	opts.Gather = func(context.Context, *Forest) error { return want }
	if _, err := Train(context.Background(), train, test, opts); !errors.Is(err, want) {
		t.Errorf("err = %v, want Gather's", err)
	}
}

func TestDecodeTreeRejects(t *testing.T) {
	d := makeBlobs(300, 4, 2, 1)
	f := fitModel(t, d, ForestParams{NEstimators: 1}, 1, 1).Forest
	good, _ := f.Trees[0].MarshalBinary()
	if _, err := DecodeTree(good, 4, 2); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"empty":       nil,
		"truncated":   good[:len(good)-1],
		"extra":       append(append([]byte{}, good...), 0),
		"huge count":  {0xff, 0xff, 0xff, 0xff},
		"no features": good,
	} {
		nf := 4
		if name == "no features" {
			nf = 0
		}
		if _, err := DecodeTree(b, nf, 2); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func FuzzDecodeTree(f *testing.F) {
	d := makeBlobs(200, 3, 2, 3)
	m := fitModel(f, d, ForestParams{NEstimators: 2, MaxDepth: 3}, 1, 1).Forest
	for _, tr := range m.Trees {
		b, _ := tr.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := DecodeTree(b, 3, 2)
		if err != nil {
			return
		}
		again, err := tr.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeTree(again, 3, 2); err != nil {
			t.Fatalf("re-encoded tree does not decode: %v", err)
		}
		var x [3]float64
		dst := make([]float64, 2)
		(&Forest{NumFeatures: 3, NumClasses: 2, Trees: []*Tree{tr}}).PredictProba(x[:], dst)
	})
}
