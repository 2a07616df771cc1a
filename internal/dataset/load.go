package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/ml"
)

// Options select the columns Load reads. The zero value reads every column
// as a numeric feature.
type Options struct {
	// Label is the class label column; empty means the data has no label.
	Label string
	// SplitColumn is an optional column holding "train" or "test" per row.
	SplitColumn string
	// Features, when set, are exactly the feature columns to read, in this
	// order; other columns are ignored. When nil, every column except
	// Label and SplitColumn is a feature, in file order.
	Features []string
}

// File describes one file that was read.
type File struct {
	// Path is the file's path as given or found in the folder.
	Path string
	// Format is the detected format.
	Format Format
	// SHA256 is the hex sha256 of the file's bytes (compressed, for gzip).
	SHA256 string
	// Rows is the number of data rows read from it.
	Rows int
}

// Info describes what Load read.
type Info struct {
	// Files are the files read, in read order.
	Files []File
	// SHA256 is the data's identity: the file's sha256 for a single file;
	// for a folder, the sha256 of the sha256sum-style listing
	// "<sha256>  <relative path>\n" of its files in read order.
	SHA256 string
	// Rows is the total number of data rows.
	Rows int
}

// loadGCPercent is the GOGC of a load (see Load).
const loadGCPercent = 10

// ErrMixedSchema matches a folder whose files do not have the same columns.
var ErrMixedSchema = errors.New("mixed schemas")

// ErrNoData matches a path that holds no data rows: an empty folder or a
// file with a header and no rows.
var ErrNoData = errors.New("no data rows")

// Load reads the file or folder at path into a Dataset named after path.
// A folder means every regular file under it, in lexical order of their
// paths, skipping names that start with "." or "_" (such as .crc files and
// _SUCCESS markers that Spark and AzureML write beside data) and frogml's
// dataset-manifest.json; every file must have the same columns in the same
// order. Each file is CSV, gzip-compressed CSV or Parquet, detected by its
// content (see Sniff).
//
// While it runs, Load sets the garbage collector's target percentage
// (GOGC) to loadGCPercent: parsing leaves garbage (CSV records, Parquet
// pages) at the rate data is read, and at the default of 100 the heap
// would grow to about twice the feature matrix before a collection. The
// matrix holds no pointers, so the extra collections cost little. The
// previous setting is restored when Load returns.
func Load(path string, opts *Options) (*ml.Dataset, Info, error) {
	defer debug.SetGCPercent(debug.SetGCPercent(loadGCPercent))
	if opts == nil {
		opts = &Options{}
	}
	paths, rels, err := listFiles(path)
	if err != nil {
		return nil, Info{}, err
	}
	parts := make([]part, len(paths))
	defer func() {
		for _, p := range parts {
			if p.f != nil {
				p.f.Close()
			}
		}
	}()
	for i, p := range paths {
		if err := parts[i].open(p); err != nil {
			return nil, Info{}, err
		}
		if i > 0 && !slices.Equal(parts[i].columns, parts[0].columns) {
			return nil, Info{}, fmt.Errorf("%s: %w in folder %s: its columns are %s, but %s has %s; give every file the same columns in the same order",
				p, ErrMixedSchema, path, joinColumns(parts[i].columns), paths[0], joinColumns(parts[0].columns))
		}
	}
	sel, err := selectColumns(paths[0], parts[0].columns, opts)
	if err != nil {
		return nil, Info{}, err
	}
	total := 0
	for i := range parts {
		if err := parts[i].count(); err != nil {
			return nil, Info{}, err
		}
		total += parts[i].maxRows
	}
	t := newTable(sel, total)
	info := Info{}
	for i := range parts {
		start := t.rows
		if err := parts[i].read(t); err != nil {
			return nil, Info{}, err
		}
		n := t.rows - start
		if n == 0 {
			return nil, Info{}, fmt.Errorf("%s: %w: the file has a header but no rows", paths[i], ErrNoData)
		}
		info.Files = append(info.Files, File{Path: paths[i], Format: parts[i].format, SHA256: parts[i].sha256, Rows: n})
	}
	info.Rows = t.rows
	if rels == nil {
		info.SHA256 = info.Files[0].SHA256
	} else {
		h := sha256.New()
		for i, f := range info.Files {
			fmt.Fprintf(h, "%s  %s\n", f.SHA256, rels[i])
		}
		info.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	d := t.dataset(path, info.SHA256)
	return d, info, nil
}

// listFiles returns path itself for a file, or the data files under a
// folder with their slash-separated relative paths.
func listFiles(path string) (paths, rels []string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read data %s: %w", path, err)
	}
	if !st.IsDir() {
		return []string{path}, nil, nil
	}
	err = filepath.WalkDir(path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := e.Name()
		if p != path && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() || name == "dataset-manifest.json" || !e.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(path, p)
		if err != nil {
			return err
		}
		paths = append(paths, p)
		rels = append(rels, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read data folder %s: %w", path, err)
	}
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("%s: %w: the folder holds no data file", path, ErrNoData)
	}
	return paths, rels, nil
}

// part is one file being loaded.
type part struct {
	path    string
	f       *os.File
	format  Format
	columns []string
	sha256  string
	maxRows int // upper bound on the data rows, from count
	pq      *parquetPart
}

func (p *part) open(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read data %s: %w", path, err)
	}
	p.path, p.f = path, f
	head, err := readHead(f)
	if err != nil {
		return fmt.Errorf("read data %s: %w", path, err)
	}
	if p.format, err = Sniff(path, head); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	switch p.format {
	case FormatParquet:
		p.pq, err = openParquet(path, f)
		if err != nil {
			return err
		}
		p.columns = p.pq.columns
	default:
		if p.columns, err = csvHeader(path, f, p.format); err != nil {
			return err
		}
	}
	return nil
}

func (p *part) count() error {
	if p.format == FormatParquet {
		sum, err := hashFile(p.path, p.f)
		if err != nil {
			return err
		}
		p.sha256, p.maxRows = sum, p.pq.rows
		// The footer's row count is only a claim: a few bytes of run-length
		// encoding can state billions of rows. Allocate for at most 16 rows
		// per byte of file up front; a real file beyond that grows the table
		// as its row groups decode.
		if st, err := p.f.Stat(); err == nil && int64(p.maxRows) > st.Size()*16 {
			p.maxRows = int(st.Size() * 16)
		}
		return nil
	}
	sum, n, err := csvCount(p.path, p.f, p.format)
	if err != nil {
		return err
	}
	p.sha256, p.maxRows = sum, n
	return nil
}

func (p *part) read(t *table) error {
	if p.format == FormatParquet {
		return p.pq.read(t)
	}
	return csvRead(p.path, p.f, p.format, t)
}

// selection is the resolved column roles.
type selection struct {
	features  []string
	featCols  []int // column index of each feature
	labelCol  int   // -1 without label
	splitCol  int   // -1 without split column
	labelName string
	splitName string
}

func selectColumns(name string, columns []string, opts *Options) (selection, error) {
	index := make(map[string]int, len(columns))
	for i, c := range columns {
		if _, dup := index[c]; dup {
			return selection{}, &ml.ParseError{Name: name, Line: 1, Column: c, Err: errors.New("duplicate column name")}
		}
		index[c] = i
	}
	col := func(c, role string) (int, error) {
		i, ok := index[c]
		if !ok {
			return 0, &ml.ParseError{Name: name, Column: c, Err: fmt.Errorf("%s column missing (have %s)", role, joinColumns(columns))}
		}
		return i, nil
	}
	s := selection{labelCol: -1, splitCol: -1, labelName: opts.Label, splitName: opts.SplitColumn}
	var err error
	if opts.Label != "" {
		if s.labelCol, err = col(opts.Label, "label"); err != nil {
			return s, err
		}
	}
	if opts.SplitColumn != "" {
		if s.splitCol, err = col(opts.SplitColumn, "split"); err != nil {
			return s, err
		}
	}
	if opts.Features != nil {
		seen := map[string]bool{}
		for _, f := range opts.Features {
			i, err := col(f, "feature")
			if err != nil {
				return s, err
			}
			if seen[f] || i == s.labelCol || i == s.splitCol {
				return s, &ml.ParseError{Name: name, Column: f, Err: errors.New("listed twice, or also the label or split column")}
			}
			seen[f] = true
			s.featCols = append(s.featCols, i)
		}
		s.features = slices.Clone(opts.Features)
	} else {
		for i, c := range columns {
			if i != s.labelCol && i != s.splitCol {
				s.featCols = append(s.featCols, i)
				s.features = append(s.features, c)
			}
		}
	}
	if len(s.features) == 0 {
		return s, &ml.ParseError{Name: name, Err: errors.New("no feature columns")}
	}
	return s, nil
}

// hashFile returns the hex sha256 of f's content.
func hashFile(name string, f *os.File) (string, error) {
	h := sha256.New()
	if _, err := f.Seek(0, 0); err != nil {
		return "", fmt.Errorf("read data %s: %w", name, err)
	}
	if _, err := f.WriteTo(h); err != nil {
		return "", fmt.Errorf("read data %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// joinColumns lists column names for a message, quoting any name that is
// not plain printable text without commas, so a message stays on one line.
func joinColumns(columns []string) string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = c
		if c == "" || strings.ContainsAny(c, ",\"") || strconv.Quote(c) != `"`+c+`"` {
			out[i] = strconv.Quote(c)
		}
	}
	return strings.Join(out, ",")
}
