package ml

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	data := "a,b,label,split\n1,2.5,10,train\n3,-4e2,2,test\n 5 ,6,10,TRAIN\n"
	d, err := ReadCSV([]byte(data), "t.csv", &CSVOptions{Label: "label", SplitColumn: "split"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Features, []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("features = %v, want %v", got, want)
	}
	if got, want := d.Classes, []string{"2", "10"}; !slices.Equal(got, want) {
		t.Errorf("classes = %v, want %v (numeric order)", got, want)
	}
	if got, want := d.Y, []int{1, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("y = %v, want %v", got, want)
	}
	if got, want := d.X, []float64{1, 2.5, 3, -400, 5, 6}; !slices.Equal(got, want) {
		t.Errorf("x = %v, want %v", got, want)
	}
	if got, want := d.Test, []bool{false, true, false}; !slices.Equal(got, want) {
		t.Errorf("test = %v, want %v", got, want)
	}
	if d.Rows() != 3 || !slices.Equal(d.Row(1), []float64{3, -400}) {
		t.Errorf("rows = %d, row 1 = %v", d.Rows(), d.Row(1))
	}
	if d.SHA256 != SHA256Hex([]byte(data)) {
		t.Errorf("sha256 = %s", d.SHA256)
	}
}

func TestReadCSVSelectedFeatures(t *testing.T) {
	d, err := ReadCSV([]byte("x,y,z\n1,2,3\n4,5,6\n"), "p.csv", &CSVOptions{Features: []string{"z", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.X, []float64{3, 1, 6, 4}) || d.Y != nil || d.Classes != nil {
		t.Errorf("x = %v, y = %v, classes = %v", d.X, d.Y, d.Classes)
	}
}

func TestReadCSVLexicalClasses(t *testing.T) {
	d, err := ReadCSV([]byte("f,label\n1,virginica\n2,setosa\n3,10\n"), "c.csv", &CSVOptions{Label: "label"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10", "setosa", "virginica"}; !slices.Equal(d.Classes, want) {
		t.Errorf("classes = %v, want %v", d.Classes, want)
	}
}

func TestReadCSVBadInput(t *testing.T) {
	opts := &CSVOptions{Label: "label", SplitColumn: "split"}
	tests := []struct {
		name, data string
		opts       *CSVOptions
		line       int
		column     string
		want       string
	}{
		{"empty file", "", opts, 0, "", "empty file"},
		{"header only", "a,label,split\n", opts, 0, "", "no data rows"},
		{"ragged row", "a,label,split\n1,0,train\n2,1\n", opts, 3, "", "ragged row"},
		{"non-numeric", "a,label,split\n1,0,train\nx1,1,test\n", opts, 3, "a", "not a number"},
		{"NaN", "a,label,split\nNaN,0,train\n", opts, 2, "a", "not a finite number"},
		{"Inf", "a,label,split\n1,0,train\n-Inf,1,train\n", opts, 3, "a", "not a finite number"},
		{"empty feature", "a,label,split\n,0,train\n", opts, 2, "a", "not a number"},
		{"missing label column", "a,b,split\n1,2,train\n", opts, 1, "label", "column missing"},
		{"missing split column", "a,label\n1,0\n", opts, 1, "split", "column missing"},
		{"bad split value", "a,label,split\n1,0,validate\n", opts, 2, "split", "neither train nor test"},
		{"empty label", "a,label,split\n1,,train\n", opts, 2, "label", "empty label"},
		{"duplicate column", "a,a,label\n1,2,0\n", &CSVOptions{Label: "label"}, 1, "a", "duplicate"},
		{"no features", "label\n0\n", &CSVOptions{Label: "label"}, 1, "", "no feature columns"},
		{"missing feature", "a,b\n1,2\n", &CSVOptions{Features: []string{"c"}}, 1, "c", "column missing"},
		{"bare quote", "a,label\n\"1,0\n", &CSVOptions{Label: "label"}, 2, "", "quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV([]byte(tt.data), "bad.csv", tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line != tt.line || pe.Column != tt.column {
				t.Errorf("line, column = %d, %q; want %d, %q (%v)", pe.Line, pe.Column, tt.line, tt.column, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "bad.csv") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with the file name and containing %q", msg, tt.want)
			}
		})
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("a,b,label,split\n1,2,0,train\n3,4,1,test\n"))
	f.Add([]byte("a,label\n1,x\n2\n"))
	f.Add([]byte("a,label,split\nNaN,0,train\n"))
	f.Add([]byte("\"a\nb\",label\n1,2\n"))
	f.Add([]byte(""))
	f.Add(IrisCSV)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ReadCSV(data, "fuzz.csv", &CSVOptions{Label: "label", SplitColumn: "split"})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		nf := len(d.Features)
		if nf == 0 || len(d.X)%nf != 0 || len(d.Y) != d.Rows() || len(d.Test) != d.Rows() || d.Rows() == 0 {
			t.Fatalf("inconsistent dataset: %d features, %d values, %d labels, %d split", nf, len(d.X), len(d.Y), len(d.Test))
		}
		for _, y := range d.Y {
			if y < 0 || y >= len(d.Classes) {
				t.Fatalf("label index %d out of %d classes", y, len(d.Classes))
			}
		}
	})
}
