package ml

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/frogbridge/frogbridge/internal/jobspec"
)

// Model kinds, as written in model files, metrics and metadata (declared
// once in jobspec, the trainer's contract with the job service).
const (
	RandomForest       = jobspec.ModelRandomForest
	LogisticRegression = jobspec.ModelLogisticRegression
)

// Model is a fitted classifier with its feature and class names: exactly one
// of Forest and Linear is set, as Type says.
type Model struct {
	// Type is RandomForest or LogisticRegression.
	Type string
	// Features are the feature names, in the order rows are given.
	Features []string
	// Classes are the class names; probabilities follow this order.
	Classes []string
	// Seed is the seed the model was trained with (provenance only).
	Seed   uint64
	Forest *Forest
	Linear *Logistic
}

// PredictProba writes the class probabilities of one row into dst
// (len(Classes)). It does not allocate. It panics on short slices.
func (m *Model) PredictProba(x []float64, dst []float64) {
	if m.Forest != nil {
		m.Forest.PredictProba(x, dst)
		return
	}
	m.Linear.PredictProba(x, dst)
}

// PredictClass returns the index into Classes of the most probable class of
// row x (the first on ties, like numpy's argmax); scratch must have
// len(Classes) and receives the probabilities.
func (m *Model) PredictClass(x []float64, scratch []float64) int {
	m.PredictProba(x, scratch)
	return argmax(scratch[:len(m.Classes)])
}

func argmax(p []float64) int {
	best := 0
	for c, v := range p {
		if v > p[best] {
			best = c
		}
	}
	return best
}

// maxBlockRows bounds the rows predicted together, tree by tree: large
// blocks let every tree node fetched into cache serve many rows (measured:
// per-row cost keeps falling up to blocks of tens of thousands of rows).
const maxBlockRows = 1 << 16

// PredictBatch writes the probabilities of rows (row-major x with
// len(Features) columns) into dst (rows × len(Classes)), splitting the rows
// over workers goroutines (0 = all cores). Results do not depend on workers.
func (m *Model) PredictBatch(x []float64, dst []float64, workers int) {
	nf, C := len(m.Features), len(m.Classes)
	rows := len(x) / nf
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if rows == 0 {
		return
	}
	// equal blocks, as many as a multiple of workers, each at most maxBlockRows
	blocks := (rows + maxBlockRows - 1) / maxBlockRows
	blocks = (blocks + workers - 1) / workers * workers
	blockRows := (rows + blocks - 1) / blocks
	blocks = (rows + blockRows - 1) / blockRows
	next := make(chan int, blocks)
	for b := range blocks {
		next <- b
	}
	close(next)
	var wg sync.WaitGroup
	for range min(workers, blocks) {
		wg.Go(func() {
			var keys []uint32
			if m.Forest != nil {
				keys = make([]uint32, blockRows*nf)
			}
			for b := range next {
				lo, hi := b*blockRows, min((b+1)*blockRows, rows)
				xb, db := x[lo*nf:hi*nf], dst[lo*C:hi*C]
				if m.Forest != nil {
					m.Forest.predictBlock(xb, hi-lo, db, keys)
					continue
				}
				for i := range hi - lo {
					m.Linear.PredictProba(xb[i*nf:(i+1)*nf], db[i*C:(i+1)*C])
				}
			}
		})
	}
	wg.Wait()
}

// Predictions are the predicted classes and probabilities of a data set.
type Predictions struct {
	// Classes are the model's class names; Proba columns follow this order.
	Classes []string
	// Class holds the predicted class index per row.
	Class []int
	// Proba holds rows × len(Classes) probabilities, row-major.
	Proba []float64
}

// Label returns the predicted class name of row i.
func (p *Predictions) Label(i int) string { return p.Classes[p.Class[i]] }

// Row returns the probabilities of row i.
func (p *Predictions) Row(i int) []float64 {
	C := len(p.Classes)
	return p.Proba[i*C : (i+1)*C]
}

// PredictDataset predicts every row of d, whose features must be the model's
// features in the model's order (read d with CSVOptions.Features = m.Features).
func (m *Model) PredictDataset(d *Dataset, workers int) (*Predictions, error) {
	if !slices.Equal(d.Features, m.Features) {
		return nil, fmt.Errorf("predict %s: features %v do not match the model's %v; read the data with the model's feature columns", d.Name, d.Features, m.Features)
	}
	rows, C := d.Rows(), len(m.Classes)
	p := &Predictions{Classes: m.Classes, Class: make([]int, rows), Proba: make([]float64, rows*C)}
	m.PredictBatch(d.X, p.Proba, workers)
	for i := range rows {
		p.Class[i] = argmax(p.Row(i))
	}
	return p, nil
}
