// Command predictbench times batch and single-row prediction of a model file
// on the test rows of a CSV data set and prints the figures as JSON. The
// trainer bench script runs it beside the scikit-learn reference.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/frogbridge/frogbridge/internal/ml"
)

func main() {
	os.Exit(run())
}

func run() int {
	model := flag.String("model", "", "model file")
	data := flag.String("data", "", "CSV data set")
	label := flag.String("label", "label", "label column")
	splitCol := flag.String("split-column", "split", "split column; its test rows are predicted")
	repeat := flag.Int("repeat", 5, "batch repetitions (the fastest counts)")
	singles := flag.Int("single-rows", 20000, "single-row predictions to average")
	flag.Parse()
	m, err := ml.LoadModel(*model, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "predictbench:", err)
		return 1
	}
	d, err := ml.ReadCSVFile(*data, &ml.CSVOptions{Features: m.Features, Label: *label, SplitColumn: *splitCol})
	if err != nil {
		fmt.Fprintln(os.Stderr, "predictbench:", err)
		return 1
	}
	_, test, err := ml.SplitByColumn(d)
	if err != nil {
		fmt.Fprintln(os.Stderr, "predictbench:", err)
		return 1
	}
	times := make([]float64, 0, *repeat)
	cpus := make([]float64, 0, *repeat)
	var p *ml.Predictions
	for range *repeat {
		c0 := cpuSeconds()
		start := time.Now()
		p, err = m.PredictDataset(test, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, "predictbench:", err)
			return 1
		}
		times = append(times, time.Since(start).Seconds())
		cpus = append(cpus, cpuSeconds()-c0)
	}
	correct := 0
	for i, c := range p.Class {
		// classes may be ordered differently in the model and the data
		if p.Classes[c] == d.Classes[test.Y[i]] {
			correct++
		}
	}
	dst := make([]float64, len(m.Classes))
	start := time.Now()
	for i := range *singles {
		m.PredictProba(test.Row(i%test.Rows()), dst)
	}
	single := time.Since(start).Seconds() / float64(*singles)
	out, _ := json.Marshal(map[string]float64{
		"test_rows":         float64(test.Rows()),
		"batch_seconds":     slices.Min(times),
		"batch_cpu_seconds": slices.Min(cpus),
		"single_row_us":     single * 1e6,
		"predict_accuracy":  float64(correct) / float64(test.Rows()),
	})
	fmt.Println(string(out))
	return 0
}

// cpuSeconds returns the user and system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
