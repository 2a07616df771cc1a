package ml

import (
	"errors"
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
