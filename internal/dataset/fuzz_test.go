package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzLoad loads data from a file and checks the invariants of a result.
func fuzzLoad(t *testing.T, name string, data []byte, opts *Options) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d, info, err := Load(p, opts)
	if err != nil {
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, p) {
			t.Fatalf("error %q is not one line naming %s", msg, p)
		}
		return
	}
	if d.Rows() != info.Rows || len(d.X) != info.Rows*len(d.Features) || info.Rows == 0 {
		t.Fatalf("rows %d, info %d, X %d, features %d", d.Rows(), info.Rows, len(d.X), len(d.Features))
	}
	if opts.Label != "" && len(d.Y) != d.Rows() {
		t.Fatalf("labels %d for %d rows", len(d.Y), d.Rows())
	}
	for _, y := range d.Y {
		if y < 0 || y >= len(d.Classes) {
			t.Fatalf("class index %d of %d classes", y, len(d.Classes))
		}
	}
}

func FuzzLoadCSV(f *testing.F) {
	f.Add([]byte(sampleCSV), false)
	f.Add([]byte("a,label\n\"1\n\",x\n"), false)
	f.Add([]byte("a,b,label\n1,2\n"), false)
	f.Add([]byte(sampleCSV), true)
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		name := "f.csv"
		if compress {
			data, name = gz(t, string(data)), "f.csv.gz"
		}
		fuzzLoad(t, name, data, &Options{Label: "label"})
	})
}

// FuzzLoadParquet feeds Parquet bytes to Load. With the default
// minimization time the fuzzer was seen spending tens of seconds at
// 0 execs/s minimizing the inputs it finds new (the cause was not found;
// each input alone loads in milliseconds): run it with
// -fuzzminimizetime 1s to fuzz rather than minimize.
func FuzzLoadParquet(f *testing.F) {
	f.Add(samplePQ(&testing.T{}, 0))
	f.Add(samplePQ(&testing.T{}, 1))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLoad(t, "f.parquet", data, &Options{Label: "label", SplitColumn: "split"})
	})
}

func FuzzSniff(f *testing.F) {
	f.Add("a.csv", []byte(sampleCSV))
	f.Add("a.parquet", []byte("PAR1"))
	f.Add("a.gz", []byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, name string, head []byte) {
		format, err := Sniff(name, head)
		if (err == nil) == (format == "") {
			t.Fatalf("Sniff = %q, %v", format, err)
		}
	})
}
