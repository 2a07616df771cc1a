package dataset

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/frogbridge/frogbridge/internal/ml"
)

// parquetBatch is how many values are decoded per column read.
const parquetBatch = 8192

// parquetPart is an open Parquet file. It is read with arrow-go's
// low-level column chunk readers, one column of one row group at a time,
// straight into the table: no Arrow record or row object is built.
type parquetPart struct {
	name    string
	r       *file.Reader
	columns []string
	rows    int
}

// errParquet wraps what the Parquet library reports about a bad file.
var errParquet = errors.New("not a readable Parquet file")

func openParquet(name string, src parquet.ReaderAtSeeker) (p *parquetPart, err error) {
	defer recoverParquet(name, &err)
	r, err := file.NewParquetReader(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, errParquet, err)
	}
	sc := r.MetaData().Schema
	p = &parquetPart{name: name, r: r, rows: int(r.NumRows())}
	if r.NumRows() < 0 || int64(p.rows) != r.NumRows() {
		return nil, fmt.Errorf("%s: %w: the footer states %d rows", name, errParquet, r.NumRows())
	}
	for i := range sc.NumColumns() {
		c := sc.Column(i)
		p.columns = append(p.columns, c.Path())
	}
	return p, nil
}

// recoverParquet turns a panic of the Parquet library on a malformed file
// into an error naming the file: a corrupt input must not crash the
// trainer.
func recoverParquet(name string, err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("%s: %w: %v", name, errParquet, v)
	}
}

// read decodes the selected columns of every row group into t.
func (p *parquetPart) read(t *table) (err error) {
	defer recoverParquet(p.name, &err)
	sc := p.r.MetaData().Schema
	sel := t.sel
	type role struct {
		col  int
		feat int // feature position, or -1
		kind byte
	}
	var roles []role
	for k, c := range sel.featCols {
		roles = append(roles, role{c, k, 'f'})
	}
	if sel.labelCol >= 0 {
		roles = append(roles, role{sel.labelCol, -1, 'l'})
	}
	if sel.splitCol >= 0 {
		roles = append(roles, role{sel.splitCol, -1, 's'})
	}
	for _, ro := range roles {
		c := sc.Column(ro.col)
		if c.MaxRepetitionLevel() > 0 {
			return &ml.ParseError{Name: p.name, Column: c.Path(), Err: errors.New("a repeated (list) column; use a flat column")}
		}
		if ro.kind == 'f' {
			switch c.PhysicalType() {
			case parquet.Types.Int32, parquet.Types.Int64, parquet.Types.Float, parquet.Types.Double:
			default:
				return &ml.ParseError{Name: p.name, Column: c.Path(), Err: fmt.Errorf("not numeric: Parquet type %s; features must be INT32, INT64, FLOAT or DOUBLE", c.PhysicalType())}
			}
		}
	}
	start := t.rows
	base := start
	cv := newColumnValues()
	for g := range p.r.NumRowGroups() {
		rg := p.r.RowGroup(g)
		n := int(rg.NumRows())
		if n < 0 || base+n > start+p.rows {
			return fmt.Errorf("%s: %w: row group %d holds more rows than the footer states", p.name, errParquet, g)
		}
		t.grow(base + n - t.rows)
		for _, ro := range roles {
			c := sc.Column(ro.col)
			cr, err := rg.Column(ro.col)
			if err != nil {
				return fmt.Errorf("%s: %w: column %s: %v", p.name, errParquet, c.Path(), err)
			}
			var at func(i, j int) error
			switch ro.kind {
			case 'f':
				at = func(i, j int) error {
					v, err := cv.float(j)
					if err == nil {
						t.x[(base+i)*t.nf+ro.feat] = v
					}
					return err
				}
			case 'l':
				at = func(i, j int) error { return t.setLabel(base+i, cv.text(j)) }
			default:
				at = func(i, j int) error { return t.setSplit(base+i, cv.text(j)) }
			}
			got, err := cv.readAll(cr, n, c.MaxDefinitionLevel(), at)
			if err != nil {
				var re *rowError
				if errors.As(err, &re) {
					return &ml.ParseError{Name: fmt.Sprintf("%s: row %d", p.name, base-start+re.row+1), Column: c.Path(), Err: re.err}
				}
				return fmt.Errorf("%s: %w: column %s: %v", p.name, errParquet, c.Path(), err)
			}
			if got != n {
				return fmt.Errorf("%s: %w: column %s of row group %d holds %d of %d rows", p.name, errParquet, c.Path(), g, got, n)
			}
		}
		base += n
	}
	if base-start != p.rows {
		return fmt.Errorf("%s: %w: the row groups hold %d rows, the footer states %d", p.name, errParquet, base-start, p.rows)
	}
	t.rows = base
	return nil
}

// rowError is a bad value at row (within the row group).
type rowError struct {
	row int
	err error
}

func (e *rowError) Error() string { return fmt.Sprintf("row %d: %v", e.row, e.err) }

// columnValues holds one decoded batch of any physical type.
type columnValues struct {
	kind parquet.Type
	i32  []int32
	i64  []int64
	f32  []float32
	f64  []float64
	ba   []parquet.ByteArray
	b    []bool
	def  []int16
}

func newColumnValues() *columnValues {
	return &columnValues{def: make([]int16, parquetBatch)}
}

// readAll reads n rows of cr in batches and calls at with each row's index
// in the row group and its index in the batch. Nulls are errors.
func (cv *columnValues) readAll(cr file.ColumnChunkReader, n int, maxDef int16, at func(row, j int) error) (int, error) {
	row := 0
	for row < n {
		want := int64(min(parquetBatch, n-row))
		var total int64
		var values int
		var err error
		switch r := cr.(type) {
		case *file.Int32ColumnChunkReader:
			cv.kind, cv.i32 = parquet.Types.Int32, grow(cv.i32)
			total, values, err = r.ReadBatch(want, cv.i32, cv.def, nil)
		case *file.Int64ColumnChunkReader:
			cv.kind, cv.i64 = parquet.Types.Int64, grow(cv.i64)
			total, values, err = r.ReadBatch(want, cv.i64, cv.def, nil)
		case *file.Float32ColumnChunkReader:
			cv.kind, cv.f32 = parquet.Types.Float, grow(cv.f32)
			total, values, err = r.ReadBatch(want, cv.f32, cv.def, nil)
		case *file.Float64ColumnChunkReader:
			cv.kind, cv.f64 = parquet.Types.Double, grow(cv.f64)
			total, values, err = r.ReadBatch(want, cv.f64, cv.def, nil)
		case *file.ByteArrayColumnChunkReader:
			cv.kind, cv.ba = parquet.Types.ByteArray, grow(cv.ba)
			total, values, err = r.ReadBatch(want, cv.ba, cv.def, nil)
		case *file.BooleanColumnChunkReader:
			cv.kind, cv.b = parquet.Types.Boolean, grow(cv.b)
			total, values, err = r.ReadBatch(want, cv.b, cv.def, nil)
		default:
			return row, fmt.Errorf("Parquet type %s is not supported; use INT32, INT64, FLOAT, DOUBLE, BOOLEAN or strings", cr.Type())
		}
		if err != nil {
			return row, err
		}
		if total == 0 {
			break
		}
		if int(total) != values {
			for i := range int(total) {
				if maxDef > 0 && cv.def[i] < maxDef {
					return row, &rowError{row: row + i, err: errors.New("null value")}
				}
			}
		}
		for i := range int(total) {
			if err := at(row+i, i); err != nil {
				return row, &rowError{row: row + i, err: err}
			}
		}
		row += int(total)
	}
	return row, nil
}

func grow[T any](s []T) []T {
	if len(s) < parquetBatch {
		return make([]T, parquetBatch)
	}
	return s
}

// float returns value j of the batch as a finite float64.
func (cv *columnValues) float(j int) (float64, error) {
	switch cv.kind {
	case parquet.Types.Int32:
		return float64(cv.i32[j]), nil
	case parquet.Types.Int64:
		return float64(cv.i64[j]), nil
	case parquet.Types.Float:
		return finite(float64(cv.f32[j]))
	case parquet.Types.Double:
		return finite(cv.f64[j])
	}
	return 0, fmt.Errorf("not numeric: Parquet type %s", cv.kind)
}

// text returns value j of the batch as a label or split string.
func (cv *columnValues) text(j int) string {
	switch cv.kind {
	case parquet.Types.Int32:
		return strconv.FormatInt(int64(cv.i32[j]), 10)
	case parquet.Types.Int64:
		return strconv.FormatInt(cv.i64[j], 10)
	case parquet.Types.Float:
		return strconv.FormatFloat(float64(cv.f32[j]), 'g', -1, 32)
	case parquet.Types.Double:
		return strconv.FormatFloat(cv.f64[j], 'g', -1, 64)
	case parquet.Types.ByteArray:
		return string(cv.ba[j])
	case parquet.Types.Boolean:
		return strconv.FormatBool(cv.b[j])
	}
	return ""
}
