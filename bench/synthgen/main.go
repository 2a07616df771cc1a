// Command synthgen writes a deterministic synthetic classification CSV for
// the benchmarks: Gaussian blobs, one per class, with label noise, columns
// f0..f{n-1}, label and split (every fifth row "test", the rest "train").
// The same flags always give the same bytes.
//
//	go run ./bench/synthgen -rows 1000000 -features 20 -classes 3 -out synth1m.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	rows := flag.Int("rows", 1000000, "number of rows")
	features := flag.Int("features", 20, "number of features")
	classes := flag.Int("classes", 3, "number of classes")
	seed := flag.Uint64("seed", 42, "generator seed")
	flip := flag.Float64("flip", 0.1, "fraction of rows whose label is replaced by a random class")
	out := flag.String("out", "", "output file (required)")
	flag.Parse()
	if *out == "" || *rows < 1 || *features < 1 || *classes < 2 || *classes > 255 {
		fmt.Fprintln(os.Stderr, "synthgen: -out is required; -rows >= 1, -features >= 1, 2 <= -classes <= 255")
		os.Exit(2)
	}
	if err := write(*out, *rows, *features, *classes, *seed, *flip); err != nil {
		fmt.Fprintln(os.Stderr, "synthgen:", err)
		os.Exit(1)
	}
}

func write(path string, rows, nf, classes int, seed uint64, flip float64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	centers := make([][]float64, classes)
	for c := range centers {
		centers[c] = make([]float64, nf)
		for j := range centers[c] {
			centers[c][j] = r.NormFloat64()
		}
	}
	for j := range nf {
		fmt.Fprintf(w, "f%d,", j)
	}
	w.WriteString("label,split\n")
	buf := make([]byte, 0, 32)
	for i := range rows {
		c := r.IntN(classes)
		for j := range nf {
			buf = strconv.AppendFloat(buf[:0], centers[c][j]+r.NormFloat64()*1.5, 'g', 6, 64)
			w.Write(buf)
			w.WriteByte(',')
		}
		label := c
		if r.Float64() < flip {
			label = r.IntN(classes)
		}
		w.WriteString(strconv.Itoa(label))
		if i%5 == 4 {
			w.WriteString(",test\n")
		} else {
			w.WriteString(",train\n")
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
