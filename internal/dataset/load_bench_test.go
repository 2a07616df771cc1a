package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/frogbridge/frogbridge/internal/dataset/datasettest"
)

// benchRows x benchCols is the size of the Go benchmarks; bench/dataset/run.sh
// measures 1,000,000 x 20 with peak RSS, one process per load.
const benchRows, benchCols = 100_000, 20

// benchFiles writes a CSV and a Parquet file of benchRows x benchCols.
func benchFiles(b *testing.B) (csvPath, pqPath string) {
	b.Helper()
	dir := b.TempDir()
	cols := make([]datasettest.Column, benchCols+1)
	var text bytes.Buffer
	for c := range benchCols {
		cols[c].Name = fmt.Sprintf("f%d", c)
		fmt.Fprintf(&text, "f%d,", c)
	}
	text.WriteString("label\n")
	cols[benchCols].Name = "label"
	for i := range benchRows {
		for c := range benchCols {
			v := float64((i*31+c*17)%100003) / 7
			cols[c].Float64 = append(cols[c].Float64, v)
			text.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			text.WriteByte(',')
		}
		l := strconv.Itoa(i % 3)
		cols[benchCols].Strings = append(cols[benchCols].Strings, l)
		text.WriteString(l)
		text.WriteByte('\n')
	}
	csvPath, pqPath = filepath.Join(dir, "b.csv"), filepath.Join(dir, "b.parquet")
	if err := os.WriteFile(csvPath, text.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	var pq bytes.Buffer
	if err := datasettest.WriteParquet(&pq, cols, 32<<10); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(pqPath, pq.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return csvPath, pqPath
}

// BenchmarkLoad compares Load on CSV and Parquet with the floor: Go's
// encoding/csv parsed into a []float64 ("floor-encoding-csv").
func BenchmarkLoad(b *testing.B) {
	csvPath, pqPath := benchFiles(b)
	b.Run("floor-encoding-csv", func(b *testing.B) {
		for b.Loop() {
			f, err := os.Open(csvPath)
			if err != nil {
				b.Fatal(err)
			}
			r := csv.NewReader(bufio.NewReaderSize(f, 256<<10))
			r.ReuseRecord = true
			r.Read()
			var x []float64
			for {
				rec, err := r.Read()
				if err == io.EOF {
					break
				}
				for _, s := range rec[:len(rec)-1] {
					v, _ := strconv.ParseFloat(s, 64)
					x = append(x, v)
				}
			}
			f.Close()
			if len(x) != benchRows*benchCols {
				b.Fatal(len(x))
			}
		}
		b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	for _, tc := range []struct{ name, path string }{{"csv", csvPath}, {"parquet", pqPath}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				d, _, err := Load(tc.path, &Options{Label: "label"})
				if err != nil || d.Rows() != benchRows {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
