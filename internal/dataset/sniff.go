package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Format is a file format the loader reads.
type Format string

// The formats Load detects.
const (
	// FormatCSV is comma-separated text with a header row.
	FormatCSV Format = "csv"
	// FormatCSVGzip is CSV compressed with gzip (RFC 1952).
	FormatCSVGzip Format = "csv+gzip"
	// FormatParquet is Apache Parquet.
	FormatParquet Format = "parquet"
)

// sniffSize is how much of a file Sniff looks at.
const sniffSize = 8 << 10

// Magic numbers: gzip's ID1 ID2 (RFC 1952 §2.3.1) and Parquet's "PAR1",
// which opens and closes every Parquet file (Parquet format spec, "File
// format").
var (
	gzipMagic    = []byte{0x1f, 0x8b}
	parquetMagic = []byte("PAR1")
)

// ErrUnknownFormat matches a file that is neither CSV, gzip-compressed CSV
// nor Parquet.
var ErrUnknownFormat = errors.New("neither CSV, gzip-compressed CSV nor Parquet")

// ErrEmptyFile matches a file of zero bytes.
var ErrEmptyFile = errors.New("empty file")

// Sniff returns the format of a file from its first bytes (head, up to
// 8 KiB) and its name: gzip and Parquet by their magic numbers, CSV when the
// bytes are text (valid UTF-8, no NUL). The name only catches mistakes: a
// ".parquet" or ".gz" file whose content says otherwise is refused.
func Sniff(name string, head []byte) (Format, error) {
	ext := strings.ToLower(filepath.Ext(name))
	var f Format
	switch {
	case len(head) == 0:
		return "", ErrEmptyFile
	case bytes.HasPrefix(head, gzipMagic):
		f = FormatCSVGzip
	case bytes.HasPrefix(head, parquetMagic):
		f = FormatParquet
	case isText(head):
		f = FormatCSV
	default:
		return "", fmt.Errorf("%w: it starts with bytes % x", ErrUnknownFormat, head[:min(len(head), 8)])
	}
	switch {
	case (ext == ".parquet" || ext == ".pq") && f != FormatParquet:
		return "", fmt.Errorf("%w: the name ends in %s but the content does not start with the Parquet magic PAR1", ErrUnknownFormat, ext)
	case (ext == ".gz" || ext == ".gzip") && f != FormatCSVGzip:
		return "", fmt.Errorf("%w: the name ends in %s but the content is not gzip", ErrUnknownFormat, ext)
	}
	return f, nil
}

// isText reports whether b looks like text: no NUL byte and valid UTF-8,
// allowing a rune cut off at the end of the sample.
func isText(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		b = b[size:]
	}
	return true
}

// readHead reads up to sniffSize bytes from the start of r.
func readHead(r io.ReaderAt) ([]byte, error) {
	buf := make([]byte, sniffSize)
	n, err := r.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return buf[:n], nil
}
