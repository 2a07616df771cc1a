package dataset

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/ml"
)

// table accumulates rows into storage allocated once for the upper bound
// of rows.
type table struct {
	sel      selection
	nf       int
	rows     int
	x        []float64 // len = capacity rows × nf; rows [0, rows) are filled
	rawY     []int
	labels   []string
	labelIdx map[string]int
	test     []bool
}

func newTable(sel selection, maxRows int) *table {
	t := &table{sel: sel, nf: len(sel.features), x: make([]float64, maxRows*len(sel.features))}
	if sel.labelCol >= 0 {
		t.rawY = make([]int, maxRows)
		t.labelIdx = map[string]int{}
	}
	if sel.splitCol >= 0 {
		t.test = make([]bool, maxRows)
	}
	return t
}

// grow makes room for n more rows (only needed when a file holds more rows
// than its count pass found, which a file changed between passes can do).
func (t *table) grow(n int) {
	need := (t.rows + n) * t.nf
	if need <= len(t.x) {
		return
	}
	t.x = append(t.x[:cap(t.x)], make([]float64, need-cap(t.x))...)
	t.x = t.x[:cap(t.x)]
	rows := len(t.x) / max(t.nf, 1)
	if t.rawY != nil {
		t.rawY = append(t.rawY, make([]int, rows-len(t.rawY))...)
	}
	if t.test != nil {
		t.test = append(t.test, make([]bool, rows-len(t.test))...)
	}
}

// setLabel records row's label.
func (t *table) setLabel(row int, l string) error {
	l = strings.TrimSpace(l)
	if l == "" {
		return errors.New("empty label")
	}
	id, ok := t.labelIdx[l]
	if !ok {
		id = len(t.labels)
		t.labelIdx[l] = id
		t.labels = append(t.labels, l)
	}
	t.rawY[row] = id
	return nil
}

// setSplit records whether row is a test row.
func (t *table) setSplit(row int, v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "train":
		t.test[row] = false
	case "test":
		t.test[row] = true
	default:
		return fmt.Errorf("split value %q is neither train nor test", v)
	}
	return nil
}

// dataset returns the rows read as a Dataset.
func (t *table) dataset(name, sum string) *ml.Dataset {
	d := &ml.Dataset{Name: name, Features: t.sel.features, SHA256: sum}
	d.X = t.x[: t.rows*t.nf : t.rows*t.nf]
	if t.rawY != nil {
		d.Classes, d.Y = ml.EncodeClasses(t.labels, t.rawY[:t.rows])
	}
	if t.test != nil {
		d.Test = t.test[:t.rows:t.rows]
	}
	t.x, t.rawY, t.test = nil, nil, nil
	return d
}

// parseFeature parses one finite number.
func parseFeature(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return finite(v)
}

func finite(v float64) (float64, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("not a finite number: %v", v)
	}
	return v, nil
}
