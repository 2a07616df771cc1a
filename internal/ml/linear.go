package ml

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"

	"github.com/frogbridge/frogbridge/internal/jobspec"
)

// LogisticParams are the logistic regression hyperparameters, recorded in
// metadata.json (see jobspec.LogisticParams).
type LogisticParams = jobspec.LogisticParams

// logisticDefaults resolves the zero fields of p to the scikit-learn
// defaults.
func logisticDefaults(p LogisticParams) LogisticParams {
	if p.C <= 0 {
		p.C = 1
	}
	if p.MaxIter <= 0 {
		p.MaxIter = 100
	}
	return p
}

// Logistic is a fitted multinomial logistic regression: the probability of
// class c is softmax(Coef[c]·x + Intercept[c]).
type Logistic struct {
	// NumFeatures is the number of features a row must have.
	NumFeatures int
	// NumClasses is the length of a probability vector.
	NumClasses int
	// Params are the hyperparameters, defaults resolved.
	Params LogisticParams
	// Coef is row-major NumClasses × NumFeatures.
	Coef []float64
	// Intercept holds one bias per class.
	Intercept []float64
}

// chunkRows is the fixed row block of the gradient sum; partial sums are
// reduced in block order so results do not depend on the worker count.
const chunkRows = 4096

// FitLogistic fits a multinomial logistic regression with L2 penalty by
// minimizing the mean cross-entropy plus ||W||²/(2·C·n) with gonum's L-BFGS.
func FitLogistic(ctx context.Context, train *Dataset, p LogisticParams, workers int) (*Logistic, error) {
	n, d, k := train.Rows(), len(train.Features), len(train.Classes)
	if n == 0 {
		return nil, fmt.Errorf("fit logistic regression on %s: %w", train.Name, ErrEmptySplit)
	}
	if classCount(train.Y, k) < 2 {
		return nil, fmt.Errorf("fit logistic regression on %s: %w", train.Name, ErrOneClass)
	}
	p = logisticDefaults(p)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	obj := &logObjective{x: train.X, y: train.Y, n: n, d: d, k: k, lambda: 1 / (p.C * float64(n)), workers: workers}
	nChunks := (n + chunkRows - 1) / chunkRows
	obj.partF = make([]float64, nChunks)
	obj.partG = make([][]float64, nChunks)
	for i := range obj.partG {
		obj.partG[i] = make([]float64, k*(d+1))
	}
	problem := optimize.Problem{
		Func: func(w []float64) float64 { obj.eval(w); return obj.f },
		Grad: func(g, w []float64) { obj.eval(w); copy(g, obj.g) },
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{GradientThreshold: 1e-6, MajorIterations: p.MaxIter}
	res, err := optimize.Minimize(problem, make([]float64, k*(d+1)), settings, &optimize.LBFGS{})
	if err != nil && !isLimit(res) {
		return nil, fmt.Errorf("fit logistic regression on %s: %w", train.Name, err)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("fit logistic regression: %w", ctx.Err())
	}
	m := &Logistic{NumFeatures: d, NumClasses: k, Params: p, Coef: make([]float64, k*d), Intercept: make([]float64, k)}
	for c := range k {
		copy(m.Coef[c*d:(c+1)*d], res.X[c*(d+1):c*(d+1)+d])
		m.Intercept[c] = res.X[c*(d+1)+d]
	}
	return m, nil
}

func isLimit(res *optimize.Result) bool {
	if res == nil {
		return false
	}
	switch res.Status {
	case optimize.IterationLimit, optimize.FunctionEvaluationLimit, optimize.GradientEvaluationLimit:
		return true
	}
	return false
}

// logObjective computes the loss and gradient together and caches them for
// the last weights, as L-BFGS asks for both at the same point.
type logObjective struct {
	x       []float64
	y       []int
	n, d, k int
	lambda  float64
	workers int

	last  []float64
	f     float64
	g     []float64
	partF []float64
	partG [][]float64
}

func (o *logObjective) eval(w []float64) {
	if o.last != nil && slices.Equal(o.last, w) {
		return
	}
	o.last = append(o.last[:0], w...)
	nChunks := len(o.partF)
	var wg sync.WaitGroup
	next := make(chan int, nChunks)
	for i := range nChunks {
		next <- i
	}
	close(next)
	for range min(o.workers, nChunks) {
		wg.Go(func() {
			z := make([]float64, o.k)
			for ch := range next {
				o.chunk(ch, w, z)
			}
		})
	}
	wg.Wait()
	if o.g == nil {
		o.g = make([]float64, len(w))
	}
	clear(o.g)
	o.f = 0
	for i := range nChunks {
		o.f += o.partF[i]
		floats.Add(o.g, o.partG[i])
	}
	inv := 1 / float64(o.n)
	o.f *= inv
	floats.Scale(inv, o.g)
	d1 := o.d + 1
	for c := range o.k {
		for j := range o.d {
			wj := w[c*d1+j]
			o.f += 0.5 * o.lambda * wj * wj
			o.g[c*d1+j] += o.lambda * wj
		}
	}
}

// chunk accumulates the unscaled loss and gradient of one row block.
func (o *logObjective) chunk(ch int, w, z []float64) {
	d, k, d1 := o.d, o.k, o.d+1
	g := o.partG[ch]
	clear(g)
	var f float64
	end := min((ch+1)*chunkRows, o.n)
	for i := ch * chunkRows; i < end; i++ {
		xi := o.x[i*d : (i+1)*d]
		for c := range k {
			z[c] = floats.Dot(w[c*d1:c*d1+d], xi) + w[c*d1+d]
		}
		lse := logSumExp(z)
		f += lse - z[o.y[i]]
		for c := range k {
			pc := math.Exp(z[c] - lse)
			if c == o.y[i] {
				pc--
			}
			floats.AddScaled(g[c*d1:c*d1+d], pc, xi)
			g[c*d1+d] += pc
		}
	}
	o.partF[ch] = f
}

func logSumExp(z []float64) float64 {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// PredictProba writes the class probabilities of row x into dst
// (len NumClasses). It does not allocate. It panics when x or dst is too short.
func (m *Logistic) PredictProba(x []float64, dst []float64) {
	d := m.NumFeatures
	x = x[:d]
	dst = dst[:m.NumClasses]
	for c := range dst {
		dst[c] = floats.Dot(m.Coef[c*d:(c+1)*d], x) + m.Intercept[c]
	}
	lse := logSumExp(dst)
	for c := range dst {
		dst[c] = math.Exp(dst[c] - lse)
	}
}

// errNoModel is returned by Model methods when neither model kind is set.
var errNoModel = errors.New("model has neither a forest nor a linear part")
