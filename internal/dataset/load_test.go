package dataset

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/dataset/datasettest"
	"github.com/frogbridge/frogbridge/internal/ml"
)

const sampleCSV = "a,b,label,split\n1,2,x,train\n3,4.5,y,test\n5,6,x,train\n"

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pq(t *testing.T, cols []datasettest.Column, rowGroup int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := datasettest.WriteParquet(&b, cols, rowGroup); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func samplePQ(t *testing.T, rowGroup int) []byte {
	return pq(t, []datasettest.Column{
		{Name: "a", Int64: []int64{1, 3, 5}},
		{Name: "b", Float64: []float64{2, 4.5, 6}},
		{Name: "label", Strings: []string{"x", "y", "x"}},
		{Name: "split", Strings: []string{"train", "test", "train"}},
	}, rowGroup)
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestLoadFormats(t *testing.T) {
	dir := t.TempDir()
	opts := &Options{Label: "label", SplitColumn: "split"}
	tests := []struct {
		name   string
		data   []byte
		format Format
	}{
		{"plain.csv", []byte(sampleCSV), FormatCSV},
		{"no-newline-at-end.csv", []byte(strings.TrimSuffix(sampleCSV, "\n")), FormatCSV},
		{"data.csv.gz", gz(t, sampleCSV), FormatCSVGzip},
		{"compressed-without-extension", gz(t, sampleCSV), FormatCSVGzip},
		{"data.parquet", samplePQ(t, 0), FormatParquet},
		{"row-groups.parquet", samplePQ(t, 1), FormatParquet},
		{"parquet-named.csv", samplePQ(t, 2), FormatParquet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, dir, tt.name, tt.data)
			d, info, err := Load(p, opts)
			if err != nil {
				t.Fatal(err)
			}
			if info.Files[0].Format != tt.format || info.Rows != 3 || info.SHA256 != sha(tt.data) || d.SHA256 != info.SHA256 {
				t.Errorf("info = %+v, want format %s, 3 rows, sha %s", info, tt.format, sha(tt.data))
			}
			if !slices.Equal(d.Features, []string{"a", "b"}) || !slices.Equal(d.X, []float64{1, 2, 3, 4.5, 5, 6}) {
				t.Errorf("features %v X %v", d.Features, d.X)
			}
			if !slices.Equal(d.Classes, []string{"x", "y"}) || !slices.Equal(d.Y, []int{0, 1, 0}) || !slices.Equal(d.Test, []bool{false, true, false}) {
				t.Errorf("classes %v Y %v test %v", d.Classes, d.Y, d.Test)
			}
		})
	}
}

// TestLoadMatchesReadCSV checks that the streaming reader gives the same
// data set as ml.ReadCSV on the embedded Iris set.
func TestLoadMatchesReadCSV(t *testing.T) {
	iris, err := ml.Iris()
	if err != nil {
		t.Fatal(err)
	}
	p := write(t, t.TempDir(), "iris.csv", ml.IrisCSV)
	d, _, err := Load(p, &Options{Label: "label", SplitColumn: "split"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.X, iris.X) || !slices.Equal(d.Y, iris.Y) || !slices.Equal(d.Classes, iris.Classes) || !slices.Equal(d.Test, iris.Test) || d.SHA256 != iris.SHA256 {
		t.Error("Load and ReadCSV disagree on the Iris set")
	}
}

func TestLoadFeatures(t *testing.T) {
	p := write(t, t.TempDir(), "f.parquet", samplePQ(t, 0))
	d, _, err := Load(p, &Options{Label: "label", Features: []string{"b"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Features, []string{"b"}) || !slices.Equal(d.X, []float64{2, 4.5, 6}) || d.Test != nil {
		t.Errorf("features %v X %v test %v", d.Features, d.X, d.Test)
	}
}

func TestLoadFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "part-2.csv", []byte("a,b,label\n7,8,z\n"))
	write(t, dir, "part-1.csv.gz", gz(t, "a,b,label\n1,2,x\n3,4,y\n"))
	write(t, dir, "sub/part-3.csv", []byte("a,b,label\n9,10,x\n"))
	write(t, dir, "_SUCCESS", nil)
	write(t, dir, ".part-1.csv.crc", []byte{0, 1, 2})
	write(t, dir, "dataset-manifest.json", []byte("{}"))
	d, info, err := Load(dir, &Options{Label: "label"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.X, []float64{1, 2, 3, 4, 7, 8, 9, 10}) || info.Rows != 4 || len(info.Files) != 3 {
		t.Fatalf("X %v info %+v", d.X, info)
	}
	var listing string
	for _, f := range info.Files {
		rel, _ := filepath.Rel(dir, f.Path)
		listing += f.SHA256 + "  " + filepath.ToSlash(rel) + "\n"
	}
	if info.SHA256 != sha([]byte(listing)) {
		t.Errorf("folder sha256 %s is not the sha256 of the listing %q", info.SHA256, listing)
	}
	t.Run("parquet and csv with the same columns", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "a.csv", []byte(sampleCSV))
		write(t, dir, "b.parquet", samplePQ(t, 0))
		d, _, err := Load(dir, &Options{Label: "label", SplitColumn: "split"})
		if err != nil || d.Rows() != 6 {
			t.Fatalf("rows %v err %v", d, err)
		}
	})
}

func TestLoadErrors(t *testing.T) {
	opts := &Options{Label: "label"}
	tests := []struct {
		name  string
		files map[string][]byte
		opts  *Options
		want  error  // matched with errors.Is when set
		msg   string // substring of the one-line message
	}{
		{"empty file", map[string][]byte{"e.csv": nil}, opts, ErrEmptyFile, "e.csv: empty file"},
		{"header only", map[string][]byte{"h.csv": []byte("a,label\n")}, opts, ErrNoData, "h.csv: no data rows"},
		{"binary", map[string][]byte{"x.bin": {0x89, 'P', 'N', 'G', 0, 0}}, opts, ErrUnknownFormat, "starts with bytes 89 50 4e 47"},
		{"parquet extension, csv content", map[string][]byte{"x.parquet": []byte(sampleCSV)}, opts, ErrUnknownFormat, "PAR1"},
		{"gz extension, csv content", map[string][]byte{"x.csv.gz": []byte(sampleCSV)}, opts, ErrUnknownFormat, "not gzip"},
		{"missing label", map[string][]byte{"m.csv": []byte("a,b\n1,2\n")}, opts, nil, `m.csv: column "label": label column missing (have a,b)`},
		{"missing feature", map[string][]byte{"m.csv": []byte(sampleCSV)}, &Options{Label: "label", Features: []string{"a", "c"}}, nil, `column "c": feature column missing`},
		{"missing label parquet", map[string][]byte{"m.parquet": samplePQ(t, 0)}, &Options{Label: "y"}, nil, `m.parquet: column "y": label column missing`},
		{"non-numeric csv", map[string][]byte{"n.csv": []byte("a,label\n1,x\nfoo,y\n")}, opts, nil, `n.csv:3: column "a": not a number: "foo"`},
		{"nan csv", map[string][]byte{"n.csv": []byte("a,label\nNaN,x\n")}, opts, nil, `not a finite number`},
		{"non-numeric parquet", map[string][]byte{"n.parquet": samplePQ(t, 0)}, &Options{Label: "label"}, nil, `n.parquet: column "split": not numeric: Parquet type BYTE_ARRAY`},
		{"nan parquet", map[string][]byte{"n.parquet": pq(t, []datasettest.Column{{Name: "a", Float64: []float64{1, 2, nan()}}, {Name: "label", Int64: []int64{1, 2, 3}}}, 2)}, opts, nil, `n.parquet: row 3: column "a": not a finite number`},
		{"ragged", map[string][]byte{"r.csv": []byte("a,label\n1,x\n2\n")}, opts, nil, `r.csv:3: ragged row`},
		{"bad split", map[string][]byte{"s.csv": []byte("a,label,split\n1,x,dev\n")}, &Options{Label: "label", SplitColumn: "split"}, nil, `split value "dev" is neither train nor test`},
		{"truncated gzip", map[string][]byte{"t.csv.gz": gz(t, sampleCSV)[:20]}, opts, nil, "t.csv.gz"},
		{"truncated parquet", map[string][]byte{"t.parquet": samplePQ(t, 0)[:40]}, opts, nil, "t.parquet: not a readable Parquet file"},
		{"mixed schemas", map[string][]byte{"dir/1.csv": []byte("a,label\n1,x\n"), "dir/2.csv": []byte("a,b,label\n1,2,x\n")}, opts, ErrMixedSchema, "2.csv: mixed schemas in folder"},
		{"column names with line breaks", map[string][]byte{"odd.csv": []byte("\"a\nb\",c\n1,2\n")}, opts, nil, `label column missing (have "a\nb",c)`},
		{"empty folder", map[string][]byte{"dir/_SUCCESS": nil}, opts, ErrNoData, "the folder holds no data file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var p string
			for name, data := range tt.files {
				p = write(t, dir, name, data)
				if strings.HasPrefix(name, "dir/") {
					p = filepath.Join(dir, "dir")
				}
			}
			_, _, err := Load(p, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.msg) || strings.Contains(msg, "\n") || !strings.Contains(msg, dir) {
				t.Errorf("err = %q, want one line naming the file and containing %q", msg, tt.msg)
			}
		})
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing.csv"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

func nan() float64 { var z float64; return z / z }

func TestSniff(t *testing.T) {
	for _, tt := range []struct {
		name string
		head []byte
		want Format
	}{
		{"a.csv", []byte("a,b\n1,2\n"), FormatCSV},
		{"a", []byte("é,b\n"), FormatCSV},
		{"a.txt", []byte{0x1f, 0x8b, 8}, FormatCSVGzip},
		{"a", []byte("PAR1\x15\x04"), FormatParquet},
		{"cut", append([]byte("a,b\n"), "é"[0]), FormatCSV},
	} {
		if got, err := Sniff(tt.name, tt.head); got != tt.want || err != nil {
			t.Errorf("Sniff(%q, %q) = %q, %v; want %q", tt.name, tt.head, got, err, tt.want)
		}
	}
	for _, head := range [][]byte{{0xff, 0xfe, 0, 0}, []byte("a\x00b"), {0xc3, 0x28, 'a', 'b', 'c'}} {
		if _, err := Sniff("x", head); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Sniff(% x) err = %v, want ErrUnknownFormat", head, err)
		}
	}
}

func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "train.csv")
	os.WriteFile(p, []byte("x1,x2,label\n1,2,a\n3,4,b\n"), 0o644)
	d, info, err := Load(p, &Options{Label: "label"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Features, d.Classes, info.Rows, info.Files[0].Format)
	// Output: [x1 x2] [a b] 2 csv
}
