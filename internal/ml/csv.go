package ml

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// CSVOptions select the columns ReadCSV parses. The zero value reads every
// column as a feature.
type CSVOptions struct {
	// Label is the class label column; empty means the data has no label.
	Label string
	// SplitColumn is an optional column holding "train" or "test" per row.
	SplitColumn string
	// Features, when set, are exactly the feature columns to read, in this
	// order; other columns are ignored. When nil, every column except Label
	// and SplitColumn is a feature.
	Features []string
}

// ParseError is a CSV error located at a line and, where known, a column.
type ParseError struct {
	Name   string // file name or data set name
	Line   int    // 1-based line; 0 when not line specific
	Column string // column name; empty when not column specific
	Err    error
}

// Error returns "NAME:LINE: column COL: ERR".
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.Name)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ": column %q", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// ErrEmptyData is returned for a file without a header or without rows.
var ErrEmptyData = errors.New("no data rows")

// ReadCSVFile reads a CSV file with ReadCSV; the data set is named after path.
func ReadCSVFile(path string, opts *CSVOptions) (*Dataset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	return ReadCSV(data, path, opts)
}

// ReadCSV parses CSV bytes with a header row into a Dataset. Feature values
// must be finite numbers; every row must have as many fields as the header.
// Errors are *ParseError values naming name, the line and the column.
func ReadCSV(data []byte, name string, opts *CSVOptions) (*Dataset, error) {
	if opts == nil {
		opts = &CSVOptions{}
	}
	sum := sha256.Sum256(data)
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = true
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, &ParseError{Name: name, Err: fmt.Errorf("empty file: %w", ErrEmptyData)}
	}
	if err != nil {
		return nil, csvErr(name, err)
	}
	header = slices.Clone(header)
	index := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		if _, dup := index[h]; dup {
			return nil, &ParseError{Name: name, Line: 1, Column: h, Err: errors.New("duplicate column name")}
		}
		index[h] = i
	}
	col := func(c string) (int, error) {
		i, ok := index[c]
		if !ok {
			return 0, &ParseError{Name: name, Line: 1, Column: c, Err: fmt.Errorf("column missing from header (have %s)", strings.Join(header, ","))}
		}
		return i, nil
	}
	labelCol, splitCol := -1, -1
	if opts.Label != "" {
		if labelCol, err = col(opts.Label); err != nil {
			return nil, err
		}
	}
	if opts.SplitColumn != "" {
		if splitCol, err = col(opts.SplitColumn); err != nil {
			return nil, err
		}
	}
	var featCols []int
	var features []string
	if opts.Features != nil {
		for _, f := range opts.Features {
			i, err := col(f)
			if err != nil {
				return nil, err
			}
			featCols = append(featCols, i)
		}
		features = slices.Clone(opts.Features)
	} else {
		for i, h := range header {
			if i != labelCol && i != splitCol {
				featCols = append(featCols, i)
				features = append(features, h)
			}
		}
	}
	if len(features) == 0 {
		return nil, &ParseError{Name: name, Line: 1, Err: errors.New("no feature columns")}
	}
	d := &Dataset{Name: name, Features: features, SHA256: hex.EncodeToString(sum[:])}
	var labels []string
	labelIndex := map[string]int{}
	var rawY []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		line, _ := r.FieldPos(0)
		for k, c := range featCols {
			v, err := parseFeature(rec[c])
			if err != nil {
				return nil, &ParseError{Name: name, Line: line, Column: features[k], Err: err}
			}
			d.X = append(d.X, v)
		}
		if labelCol >= 0 {
			l := strings.TrimSpace(rec[labelCol])
			if l == "" {
				return nil, &ParseError{Name: name, Line: line, Column: header[labelCol], Err: errors.New("empty label")}
			}
			id, ok := labelIndex[l]
			if !ok {
				id = len(labels)
				labelIndex[l] = id
				labels = append(labels, l)
			}
			rawY = append(rawY, id)
		}
		if splitCol >= 0 {
			switch strings.ToLower(strings.TrimSpace(rec[splitCol])) {
			case "train":
				d.Test = append(d.Test, false)
			case "test":
				d.Test = append(d.Test, true)
			default:
				return nil, &ParseError{Name: name, Line: line, Column: header[splitCol], Err: fmt.Errorf("split value %q is neither train nor test", rec[splitCol])}
			}
		}
	}
	if len(d.X) == 0 {
		return nil, &ParseError{Name: name, Err: ErrEmptyData}
	}
	if labelCol >= 0 {
		d.Classes, d.Y = EncodeClasses(labels, rawY)
	}
	return d, nil
}

// parseFeature parses one finite number.
func parseFeature(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("not a finite number: %q", s)
	}
	return v, nil
}

// EncodeClasses turns labels in order of first appearance (labels[rawY[i]]
// is row i's label) into sorted classes and class indices: numerically when
// every label is a number, else lexically. It rewrites rawY in place into
// class indices and returns the classes and rawY.
func EncodeClasses(labels []string, rawY []int) ([]string, []int) {
	numeric := true
	nums := make([]float64, len(labels))
	for i, l := range labels {
		v, err := strconv.ParseFloat(l, 64)
		if err != nil || math.IsNaN(v) {
			numeric = false
			break
		}
		nums[i] = v
	}
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if numeric && nums[a] != nums[b] {
			if nums[a] < nums[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(labels[a], labels[b])
	})
	remap := make([]int, len(labels))
	classes := make([]string, len(labels))
	for newID, old := range order {
		remap[old] = newID
		classes[newID] = labels[old]
	}
	for i, v := range rawY {
		rawY[i] = remap[v]
	}
	return classes, rawY
}

func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			msg = fmt.Errorf("ragged row: %w", pe.Err)
		}
		return &ParseError{Name: name, Line: pe.Line, Err: msg}
	}
	return &ParseError{Name: name, Err: err}
}
