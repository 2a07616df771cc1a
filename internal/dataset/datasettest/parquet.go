// Package datasettest writes Parquet files for tests and benchmarks of
// the data loaders, with arrow-go's Parquet writer.
package datasettest

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// Column is one flat, required column of a Parquet file: exactly one of
// Float64, Int64 or Strings is set.
type Column struct {
	Name    string
	Float64 []float64
	Int64   []int64
	Strings []string
}

func (c Column) len() int {
	switch {
	case c.Float64 != nil:
		return len(c.Float64)
	case c.Int64 != nil:
		return len(c.Int64)
	}
	return len(c.Strings)
}

// WriteParquet writes cols as a Parquet file to w with row groups of at
// most rowGroup rows (0 means one row group), Snappy-compressed.
func WriteParquet(w io.Writer, cols []Column, rowGroup int) error {
	if len(cols) == 0 {
		return fmt.Errorf("no columns")
	}
	n := cols[0].len()
	var fields schema.FieldList
	for _, c := range cols {
		if c.len() != n {
			return fmt.Errorf("column %s has %d rows, want %d", c.Name, c.len(), n)
		}
		switch {
		case c.Float64 != nil:
			fields = append(fields, schema.NewFloat64Node(c.Name, parquet.Repetitions.Required, -1))
		case c.Int64 != nil:
			fields = append(fields, schema.NewInt64Node(c.Name, parquet.Repetitions.Required, -1))
		default:
			node, err := schema.NewPrimitiveNodeLogical(c.Name, parquet.Repetitions.Required, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)
			if err != nil {
				return err
			}
			fields = append(fields, node)
		}
	}
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, fields, -1)
	if err != nil {
		return err
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy))
	fw := file.NewParquetWriter(w, root, file.WithWriterProps(props))
	if rowGroup <= 0 {
		rowGroup = max(n, 1)
	}
	for lo := 0; lo < n || (n == 0 && lo == 0); lo += rowGroup {
		hi := min(lo+rowGroup, n)
		rg := fw.AppendRowGroup()
		for _, c := range cols {
			cw, err := rg.NextColumn()
			if err != nil {
				return err
			}
			switch w := cw.(type) {
			case *file.Float64ColumnChunkWriter:
				_, err = w.WriteBatch(c.Float64[lo:hi], nil, nil)
			case *file.Int64ColumnChunkWriter:
				_, err = w.WriteBatch(c.Int64[lo:hi], nil, nil)
			case *file.ByteArrayColumnChunkWriter:
				vals := make([]parquet.ByteArray, hi-lo)
				for i, s := range c.Strings[lo:hi] {
					vals[i] = parquet.ByteArray(s)
				}
				_, err = w.WriteBatch(vals, nil, nil)
			}
			if err != nil {
				return err
			}
			if err := cw.Close(); err != nil {
				return err
			}
		}
		if err := rg.Close(); err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	return fw.Close()
}
