package ml

import (
	"context"
	"flag"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

var floorData = flag.String("floor.data", "", "CSV (label, split columns) whose forest BenchmarkForestFloor grows, e.g. synth100k.csv")

// histRate measures the tightest form of the split search's inner loop
// (bestForFeature's histogram branch): for each sample of a node, read the
// row's bin code for the feature, add the sample's weight to hist[bin][class]
// and count the bin. One such step is one histogram update. The node is
// nodeRows distinct rows drawn from rows, in random order as after partition,
// so the code reads are scattered like the trainer's. It returns updates per
// second on one core.
func histRate(b *testing.B, rows, nodeRows int, run func(n int)) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	codes := make([]uint8, rows)
	for i := range codes {
		codes[i] = uint8(r.IntN(maxBins))
	}
	const C = 3
	samples := make([]sample, nodeRows)
	for i, row := range r.Perm(rows)[:nodeRows] {
		samples[i] = sample(uint64(row) | uint64(r.IntN(C))<<32 | uint64(1+r.IntN(3))<<40)
	}
	hist := make([]int64, maxBins*C)
	cnt := make([]int32, maxBins)
	lo, hi := maxBins, -1
	b.ResetTimer()
	for b.Loop() {
		lo, hi = histPass(codes, samples, hist, cnt)
	}
	if lo > hi {
		b.Fatal("no update")
	}
	run(nodeRows)
}

// BenchmarkHistogramUpdate reports the single-core rate of histogram updates
// for a root-sized node of synth100k (63,200 distinct rows of 80,000) and for
// a node small enough that its codes stay in L1.
func BenchmarkHistogramUpdate(b *testing.B) {
	for _, c := range []struct {
		name           string
		rows, nodeRows int
	}{{"root-63k-of-80k", 80000, 63200}, {"node-2k-of-80k", 80000, 2000}} {
		b.Run(c.name, func(b *testing.B) {
			histRate(b, c.rows, c.nodeRows, func(n int) {
				per := b.Elapsed().Seconds() / float64(b.N) / float64(n)
				b.ReportMetric(per*1e9, "ns/update")
				b.ReportMetric(1/per/1e6, "Mupdates/s")
			})
		})
	}
}

// forestUpdates derives the histogram updates growing f took from its
// leaves: every distinct row of a leaf at depth d took part in the search of
// d nodes, each trying maxFeatures features, so the updates are
// Σ_leaves depth × distinct rows × maxFeatures. Leaves hold bootstrap
// weights; a bootstrap of n rows has 1-(1-1/n)^n ≈ 0.632 n distinct rows, so
// distinct ≈ 0.632 × weight. It is a lower bound: it omits features the
// search tries past maxFeatures when some are constant in a node, and nodes
// whose search finds no split.
func forestUpdates(f *Forest, maxFeatures int) float64 {
	C := f.NumClasses
	var u float64
	for _, t := range f.Trees {
		pre := t.preorder()
		depth := make([]int, len(pre))
		for i, n := range pre {
			if n.Feature < 0 {
				off := int(n.Next)
				var w float64
				for _, v := range t.counts[off : off+C] {
					w += v
				}
				u += float64(depth[i]) * w * 0.632 * float64(maxFeatures)
				continue
			}
			// preorder: the left child follows its parent, Next is the right
			depth[i+1], depth[n.Next] = depth[i]+1, depth[i]+1
		}
	}
	return u
}

// BenchmarkForestFloor grows the forest of -floor.data (100 trees, default
// parameters, every core) and prints its fit time beside the floor the
// machine allows: the forest's histogram updates (forestUpdates) divided by
// the measured update rate times the cores. Skipped without -floor.data:
//
//	go test -run '^$' -bench ForestFloor -benchtime 1x ./internal/ml -args -floor.data=synth100k.csv
func BenchmarkForestFloor(b *testing.B) {
	if *floorData == "" {
		b.Skip("no -floor.data")
	}
	d, err := ReadCSVFile(*floorData, &CSVOptions{Label: "label", SplitColumn: "split"})
	if err != nil {
		b.Fatal(err)
	}
	train, _, err := SplitByColumn(d)
	if err != nil {
		b.Fatal(err)
	}
	n := train.Rows()
	// the best rate of a root-sized node and of a 2,000-row node (codes in
	// cache): the faster one gives the lower, stricter floor
	var rate float64
	for _, rows := range []int{n * 632 / 1000, 2000} {
		rate = max(rate, timedRate(n, rows))
	}
	p := forestDefaults(ForestParams{NEstimators: 100}, len(train.Features))
	cores := runtime.GOMAXPROCS(0)
	var f *Forest
	var fit time.Duration
	for b.Loop() {
		start := time.Now()
		f, err = FitForest(context.Background(), train, p, 42, 0)
		if err != nil {
			b.Fatal(err)
		}
		fit = time.Since(start)
	}
	u := forestUpdates(f, p.MaxFeatures)
	floor := u / (rate * float64(cores))
	b.ReportMetric(rate/1e6, "Mupdates/s/core")
	b.ReportMetric(u/1e6, "Mupdates")
	b.ReportMetric(floor, "floor-s")
	b.ReportMetric(fit.Seconds(), "fit-s")
	b.ReportMetric(fit.Seconds()/floor, "x-floor")
}

// timedRate is histRate's loop timed by hand (benchmarks do not nest): the
// best of 5 rounds of 100 passes over a node of nodeRows of rows.
func timedRate(rows, nodeRows int) float64 {
	r := rand.New(rand.NewPCG(1, 2))
	codes := make([]uint8, rows)
	for i := range codes {
		codes[i] = uint8(r.IntN(maxBins))
	}
	const C = 3
	samples := make([]sample, nodeRows)
	for i, row := range r.Perm(rows)[:nodeRows] {
		samples[i] = sample(uint64(row) | uint64(r.IntN(C))<<32 | uint64(1+r.IntN(3))<<40)
	}
	hist := make([]int64, maxBins*C)
	cnt := make([]int32, maxBins)
	best := 0.0
	for range 5 {
		start := time.Now()
		for range 100 {
			histPass(codes, samples, hist, cnt)
		}
		best = max(best, 100*float64(nodeRows)/time.Since(start).Seconds())
	}
	if cnt[int(codes[samples[0].row()])] == 0 {
		panic("no update")
	}
	return best
}

// histPass is one node's histogram for one feature, the loop of
// bestForFeature's histogram branch with 3 classes: it returns the lowest
// and highest bin seen.
func histPass(codes []uint8, samples []sample, hist []int64, cnt []int32) (lo, hi int) {
	const C = 3
	clear(hist)
	clear(cnt)
	lo, hi = maxBins, -1
	for _, s := range samples {
		bin := int(codes[s.row()])
		hist[bin*C+s.cls()] += s.w()
		cnt[bin]++
		lo, hi = min(lo, bin), max(hi, bin)
	}
	return lo, hi
}
