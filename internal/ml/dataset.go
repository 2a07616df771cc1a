package ml

import (
	"errors"
	"fmt"
)

// Dataset is a table of numeric features with an optional class label and an
// optional train/test assignment, parsed once from CSV.
type Dataset struct {
	// Name identifies the source (file path or "iris") in errors and metadata.
	Name string
	// Features are the feature column names, in column order of X.
	Features []string
	// Classes are the distinct label values, sorted (numerically when all
	// labels are numbers). Empty when the data has no label column.
	Classes []string
	// X holds the features row-major: row i is X[i*len(Features):(i+1)*len(Features)].
	X []float64
	// Y holds the class index of each row into Classes; nil without labels.
	Y []int
	// Test marks rows of the test split; nil without a split column.
	Test []bool
	// SHA256 is the hex sha256 of the source bytes.
	SHA256 string
}

// ErrEmptySplit is returned when a train or test split has no rows.
var ErrEmptySplit = errors.New("empty split")

// Rows returns the number of rows.
func (d *Dataset) Rows() int {
	if len(d.Features) == 0 {
		return 0
	}
	return len(d.X) / len(d.Features)
}

// Row returns row i as a slice of X (not a copy).
func (d *Dataset) Row(i int) []float64 {
	nf := len(d.Features)
	return d.X[i*nf : (i+1)*nf : (i+1)*nf]
}

// Subset returns a new Dataset holding the given rows, in the given order.
// Features, Classes, Name and SHA256 are shared.
func (d *Dataset) Subset(rows []int) *Dataset {
	nf := len(d.Features)
	s := &Dataset{Name: d.Name, Features: d.Features, Classes: d.Classes, SHA256: d.SHA256}
	s.X = make([]float64, 0, len(rows)*nf)
	if d.Y != nil {
		s.Y = make([]int, 0, len(rows))
	}
	for _, r := range rows {
		s.X = append(s.X, d.Row(r)...)
		if d.Y != nil {
			s.Y = append(s.Y, d.Y[r])
		}
	}
	return s
}

// SplitByColumn splits d into train and test sets using its split column.
// It fails when d has no split column or when either side is empty.
func SplitByColumn(d *Dataset) (train, test *Dataset, err error) {
	if d.Test == nil {
		return nil, nil, fmt.Errorf("split %s: no split column; set --split-column or use --test-size", d.Name)
	}
	var tr, te []int
	for i, t := range d.Test {
		if t {
			te = append(te, i)
		} else {
			tr = append(tr, i)
		}
	}
	return splitSides(d, tr, te)
}

// RandomSplit splits d into train and test sets at random: round(testSize*rows)
// rows (at least one) go to the test set, chosen by a permutation seeded with
// seed. The rows keep their original order within each side.
func RandomSplit(d *Dataset, testSize float64, seed uint64) (train, test *Dataset, err error) {
	n := d.Rows()
	if !(testSize > 0 && testSize < 1) {
		return nil, nil, fmt.Errorf("split %s: test size %v out of range; set --test-size between 0 and 1", d.Name, testSize)
	}
	var tr, te []int
	for i, t := range randomTestRows(n, testSize, seed) {
		if t {
			te = append(te, i)
		} else {
			tr = append(tr, i)
		}
	}
	return splitSides(d, tr, te)
}

func splitSides(d *Dataset, tr, te []int) (train, test *Dataset, err error) {
	if len(tr) == 0 {
		return nil, nil, fmt.Errorf("split %s: train split: %w", d.Name, ErrEmptySplit)
	}
	if len(te) == 0 {
		return nil, nil, fmt.Errorf("split %s: test split: %w", d.Name, ErrEmptySplit)
	}
	return d.Subset(tr), d.Subset(te), nil
}

// classCount returns the number of distinct classes present in y.
func classCount(y []int, nClasses int) int {
	seen := make([]bool, nClasses)
	n := 0
	for _, c := range y {
		if !seen[c] {
			seen[c] = true
			n++
		}
	}
	return n
}
