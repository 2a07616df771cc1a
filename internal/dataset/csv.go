package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/frogbridge/frogbridge/internal/ml"
)

// csvBuffer is the read buffer of the CSV passes.
const csvBuffer = 256 << 10

// openText returns the (decompressed) text of a CSV file from its start.
func openText(name string, f *os.File, format Format) (io.Reader, func(), error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, fmt.Errorf("read data %s: %w", name, err)
	}
	r := bufio.NewReaderSize(f, csvBuffer)
	if format != FormatCSVGzip {
		return r, func() {}, nil
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a valid gzip stream: %w", name, err)
	}
	return zr, func() { zr.Close() }, nil
}

// newCSVReader is the reader settings of every CSV pass, as ml.ReadCSV.
func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	return cr
}

// csvHeader reads the header row (trimmed column names).
func csvHeader(name string, f *os.File, format Format) ([]string, error) {
	r, done, err := openText(name, f, format)
	if err != nil {
		return nil, err
	}
	defer done()
	header, err := newCSVReader(r).Read()
	if err == io.EOF {
		return nil, &ml.ParseError{Name: name, Err: fmt.Errorf("%w: no header row", ErrNoData)}
	}
	if err != nil {
		return nil, csvErr(name, err)
	}
	header = slices.Clone(header)
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
	}
	return header, nil
}

// csvCount hashes the file's bytes and returns an upper bound of its data
// rows: the number of line ends in the (decompressed) text. Quoted fields
// spanning lines can only make the bound larger than the row count.
func csvCount(name string, f *os.File, format Format) (string, int, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", 0, fmt.Errorf("read data %s: %w", name, err)
	}
	h := sha256.New()
	src := io.TeeReader(f, h)
	var text io.Reader = src
	if format == FormatCSVGzip {
		zr, err := gzip.NewReader(bufio.NewReaderSize(src, csvBuffer))
		if err != nil {
			return "", 0, fmt.Errorf("%s: not a valid gzip stream: %w", name, err)
		}
		defer zr.Close()
		text = zr
	}
	buf := make([]byte, csvBuffer)
	lines, last := 0, byte('\n')
	for {
		n, err := text.Read(buf)
		if n > 0 {
			lines += bytes.Count(buf[:n], []byte{'\n'})
			last = buf[n-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, fmt.Errorf("%s: read: %w", name, err)
		}
	}
	if last != '\n' {
		lines++
	}
	// drain what gzip left unread so the hash covers the whole file
	if _, err := io.Copy(io.Discard, src); err != nil {
		return "", 0, fmt.Errorf("%s: read: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), max(lines-1, 0), nil
}

// csvRead parses the data rows into t.
func csvRead(name string, f *os.File, format Format, t *table) error {
	r, done, err := openText(name, f, format)
	if err != nil {
		return err
	}
	defer done()
	cr := newCSVReader(r)
	if _, err := cr.Read(); err != nil {
		return csvErr(name, err)
	}
	sel := t.sel
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		t.grow(1)
		row := t.rows
		x := t.x[row*t.nf : (row+1)*t.nf]
		for k, c := range sel.featCols {
			v, err := parseFeature(rec[c])
			if err != nil {
				return &ml.ParseError{Name: name, Line: line, Column: sel.features[k], Err: err}
			}
			x[k] = v
		}
		if sel.labelCol >= 0 {
			if err := t.setLabel(row, rec[sel.labelCol]); err != nil {
				return &ml.ParseError{Name: name, Line: line, Column: sel.labelName, Err: err}
			}
		}
		if sel.splitCol >= 0 {
			if err := t.setSplit(row, rec[sel.splitCol]); err != nil {
				return &ml.ParseError{Name: name, Line: line, Column: sel.splitName, Err: err}
			}
		}
		t.rows++
	}
}

func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			msg = fmt.Errorf("ragged row: %w", pe.Err)
		}
		return &ml.ParseError{Name: name, Line: pe.Line, Err: msg}
	}
	var ge error = err
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &ml.ParseError{Name: name, Err: fmt.Errorf("corrupt or truncated gzip stream: %w", ge)}
	}
	return &ml.ParseError{Name: name, Err: err}
}
