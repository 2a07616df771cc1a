// Command loadbench measures loading training data: the trainer's loader
// (internal/dataset) on CSV and Parquet against the floor of Go's
// encoding/csv parsed into a []float64, reporting wall time and the
// process's peak RSS (getrusage ru_maxrss) for one load per process.
//
//	loadbench gen   -rows N -cols C -dir DIR   write DIR/data.csv and DIR/data.parquet
//	loadbench none                             the harness itself: no load
//	loadbench floor FILE.csv                   encoding/csv + strconv.ParseFloat into []float64
//	loadbench load  FILE                       dataset.Load (label column "label")
package main

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/frogbridge/frogbridge/internal/dataset"
	"github.com/frogbridge/frogbridge/internal/dataset/datasettest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadbench gen|floor|load ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "none":
		// the harness floor: the process and measurement with no load
		err = measure(func() (int, error) { return 0, nil })
	case "floor":
		err = measure(func() (int, error) { return floor(os.Args[2]) })
	case "load":
		err = measure(func() (int, error) {
			d, _, err := dataset.Load(os.Args[2], &dataset.Options{Label: "label"})
			if err != nil {
				return 0, err
			}
			return d.Rows(), nil
		})
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

// measure runs load once and prints rows, seconds and peak RSS in MiB.
func measure(load func() (int, error)) error {
	start := time.Now()
	rows, err := load()
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("rows %d seconds %.3f peak-rss-mib %.1f\n", rows, secs, float64(ru.Maxrss)/1024)
	return nil
}

// floor is the reference: encoding/csv with a reused record, every field
// but the last (the label) parsed with strconv.ParseFloat and appended to
// one []float64, labels kept as strings.
func floor(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 256<<10))
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return 0, err
	}
	var x []float64
	var labels []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		for _, s := range rec[:len(rec)-1] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, err
			}
			x = append(x, v)
		}
		labels = append(labels, rec[len(rec)-1])
	}
	return len(labels), nil
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	rows := fs.Int("rows", 1_000_000, "rows")
	cols := fs.Int("cols", 20, "feature columns")
	dir := fs.String("dir", ".", "output folder")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(1, 2))
	feats := make([][]float64, *cols)
	for c := range feats {
		feats[c] = make([]float64, *rows)
		for i := range feats[c] {
			// values with 6 significant digits, as measured data has
			feats[c][i] = float64(int(r.NormFloat64()*1e5)) / 1e3
		}
	}
	labels := make([]string, *rows)
	for i := range labels {
		if feats[0][i]+feats[1][i] > 0 {
			labels[i] = "a"
		} else {
			labels[i] = "b"
		}
	}
	cf, err := os.Create(filepath.Join(*dir, "data.csv"))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(cf, 1<<20)
	for c := range *cols {
		fmt.Fprintf(w, "f%d,", c)
	}
	w.WriteString("label\n")
	var buf []byte
	for i := range *rows {
		buf = buf[:0]
		for c := range *cols {
			buf = strconv.AppendFloat(buf, feats[c][i], 'g', -1, 64)
			buf = append(buf, ',')
		}
		buf = append(buf, labels[i]...)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := cf.Close(); err != nil {
		return err
	}
	columns := make([]datasettest.Column, 0, *cols+1)
	for c := range *cols {
		columns = append(columns, datasettest.Column{Name: fmt.Sprintf("f%d", c), Float64: feats[c]})
	}
	columns = append(columns, datasettest.Column{Name: "label", Strings: labels})
	pf, err := os.Create(filepath.Join(*dir, "data.parquet"))
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(pf, 1<<20)
	if err := datasettest.WriteParquet(bw, columns, 128<<10); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return pf.Close()
}
