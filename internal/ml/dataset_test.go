package ml

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestIrisSplit(t *testing.T) {
	d, err := Iris()
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows() != 150 || len(d.Features) != 4 || !slices.Equal(d.Classes, []string{"0", "1", "2"}) {
		t.Fatalf("iris: %d rows, features %v, classes %v", d.Rows(), d.Features, d.Classes)
	}
	tr, te, err := SplitByColumn(d)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Rows() != 120 || te.Rows() != 30 {
		t.Errorf("split = %d/%d, want 120/30", tr.Rows(), te.Rows())
	}
}

func TestSplitByColumnErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want error
	}{
		{"no test rows", "a,label,split\n1,0,train\n2,1,train\n", ErrEmptySplit},
		{"no train rows", "a,label,split\n1,0,test\n2,1,test\n", ErrEmptySplit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ReadCSV([]byte(tt.data), "s.csv", &CSVOptions{Label: "label", SplitColumn: "split"})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := SplitByColumn(d); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	d, _ := ReadCSV([]byte("a,label\n1,0\n2,1\n"), "n.csv", &CSVOptions{Label: "label"})
	if _, _, err := SplitByColumn(d); err == nil {
		t.Error("split without a split column: no error")
	}
}

func TestRandomSplit(t *testing.T) {
	d, err := Iris()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		size     float64
		wantTest int
	}{{0.2, 30}, {0.5, 75}, {0.001, 1}}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			tr, te, err := RandomSplit(d, tt.size, 7)
			if err != nil {
				t.Fatal(err)
			}
			if te.Rows() != tt.wantTest || tr.Rows()+te.Rows() != 150 {
				t.Errorf("split = %d/%d, want test %d", tr.Rows(), te.Rows(), tt.wantTest)
			}
			_, te2, _ := RandomSplit(d, tt.size, 7)
			if !slices.Equal(te.X, te2.X) {
				t.Error("same seed gave a different split")
			}
			_, te3, _ := RandomSplit(d, tt.size, 8)
			if tt.wantTest > 5 && slices.Equal(te.X, te3.X) {
				t.Error("different seed gave the same split")
			}
		})
	}
	for _, bad := range []float64{0, 1, -0.1, 2} {
		if _, _, err := RandomSplit(d, bad, 1); err == nil {
			t.Errorf("test size %v: no error", bad)
		}
	}
}

func TestPartitionMatchesSplit(t *testing.T) {
	var b []byte
	b = append(b, "a,b,label,split\n"...)
	for i := range 97 {
		s := "train"
		if i%4 == 1 {
			s = "test"
		}
		b = fmt.Appendf(b, "%d,%d.5,%d,%s\n", i, i*3, i%3, s)
	}
	read := func() *Dataset {
		d, err := ReadCSV(b, "p.csv", &CSVOptions{Label: "label", SplitColumn: "split"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	same := func(t *testing.T, got, want *Dataset) {
		t.Helper()
		if !slices.Equal(got.X, want.X) || !slices.Equal(got.Y, want.Y) || got.Rows() != want.Rows() {
			t.Errorf("partition differs from split: %d rows %v vs %d rows %v", got.Rows(), got.X[:4], want.Rows(), want.X[:4])
		}
	}
	t.Run("column", func(t *testing.T) {
		wtr, wte, err := SplitByColumn(read())
		if err != nil {
			t.Fatal(err)
		}
		tr, te, err := PartitionByColumn(read())
		if err != nil {
			t.Fatal(err)
		}
		same(t, tr, wtr)
		same(t, te, wte)
	})
	t.Run("random", func(t *testing.T) {
		for _, size := range []float64{0.01, 0.2, 0.5, 0.99} {
			wtr, wte, err := RandomSplit(read(), size, 11)
			if err != nil {
				t.Fatal(err)
			}
			tr, te, err := PartitionRandom(read(), size, 11)
			if err != nil {
				t.Fatal(err)
			}
			same(t, tr, wtr)
			same(t, te, wte)
		}
	})
	t.Run("empty side", func(t *testing.T) {
		d, err := ReadCSV([]byte("a,label,split\n1,0,train\n2,1,train\n"), "e.csv", &CSVOptions{Label: "label", SplitColumn: "split"})
		if err != nil {
			t.Fatal(err)
		}
		before := slices.Clone(d.X)
		if _, _, err := PartitionByColumn(d); !errors.Is(err, ErrEmptySplit) {
			t.Errorf("err = %v, want ErrEmptySplit", err)
		}
		if !slices.Equal(d.X, before) || d.Test == nil {
			t.Error("a failed partition changed the data set")
		}
	})
}
