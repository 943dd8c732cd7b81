package dataset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Spec says where a dataset is and which columns mean what.
type Spec struct {
	// Path is a .csv, .jsonl (or .ndjson) or .parquet file, or a
	// directory of images with one subfolder per class.
	Path string
	// Format overrides the format guessed from Path: csv, jsonl, parquet
	// or images.
	Format string
	// Features are the feature columns, in the order they fill the model's
	// input; none means every column that has no other role.
	Features []string
	// Label is the label column (default "label").
	Label string
	// Groups and Slices are columns whose values group rows for fairness
	// and for per-slice metrics; Weight is an optional sample-weight column.
	Groups, Slices []string
	Weight         string
}

// Row is one labelled sample.
type Row struct {
	// Features are the feature values of a table row, in Spec.Features
	// order (a JSON array value contributes all its numbers).
	Features []float64
	// Image is the encoded image of an image-folder row, File its path.
	Image []byte
	File  string
	// Line is the row's 1-based line in File (0 for images).
	Line   int
	Label  string
	Groups []string
	Slices []string
	Weight float64
}

// Where names the row in errors: "file line N" or the image file.
func (r *Row) Where() string {
	if r.Line == 0 {
		return r.File
	}
	return fmt.Sprintf("%s line %d", r.File, r.Line)
}

// Reader yields rows until io.EOF.
type Reader interface {
	Next() (*Row, error)
	// Features are the feature columns (nil for images), Columns every
	// column of the table.
	Features() []string
	Close() error
}

// Error is an error about the data at one place.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s line %d: %v", e.File, e.Line, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrData is wrapped by every error about the data itself.
var ErrData = errors.New("bad dataset")

func dataErr(file string, line int, format string, args ...any) error {
	return &Error{File: file, Line: line, Err: fmt.Errorf("%w: "+format, append([]any{ErrData}, args...)...)}
}

// Open opens the dataset for streaming.
func Open(spec Spec) (Reader, error) {
	if spec.Label == "" {
		spec.Label = "label"
	}
	format := spec.Format
	if format == "" {
		format = guessFormat(spec.Path)
	}
	switch format {
	case "csv":
		return openCSV(spec)
	case "jsonl", "ndjson":
		return openJSONL(spec)
	case "parquet":
		return openParquet(spec)
	case "images":
		return openImages(spec)
	}
	return nil, fmt.Errorf("dataset %s: unknown format %q (want csv, jsonl, parquet or images)", spec.Path, format)
}

func guessFormat(path string) string {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return "images"
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv"
	case ".jsonl", ".ndjson":
		return "jsonl"
	case ".parquet":
		return "parquet"
	}
	return strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
}

// roles maps the special columns to their roles and checks that the
// label and every named column exist among columns.
type roles struct {
	label, weight  int
	groups, slices []int
	features       []int
	featureNames   []string
}

func resolve(spec Spec, file string, columns []string) (*roles, error) {
	index := map[string]int{}
	for i, c := range columns {
		if _, dup := index[c]; dup {
			return nil, dataErr(file, 1, "column %q appears twice", c)
		}
		index[c] = i
	}
	find := func(role, name string) (int, error) {
		i, ok := index[name]
		if !ok {
			return -1, dataErr(file, 1, "no %s column %q (columns: %s)", role, name, strings.Join(columns, ", "))
		}
		return i, nil
	}
	r := &roles{weight: -1}
	var err error
	if r.label, err = find("label", spec.Label); err != nil {
		return nil, err
	}
	used := map[int]bool{r.label: true}
	if spec.Weight != "" {
		if r.weight, err = find("weight", spec.Weight); err != nil {
			return nil, err
		}
		used[r.weight] = true
	}
	for _, set := range []struct {
		role  string
		names []string
		dst   *[]int
	}{{"group", spec.Groups, &r.groups}, {"slice", spec.Slices, &r.slices}, {"feature", spec.Features, &r.features}} {
		for _, n := range set.names {
			i, err := find(set.role, n)
			if err != nil {
				return nil, err
			}
			*set.dst = append(*set.dst, i)
			if set.role != "feature" {
				used[i] = true
			}
		}
	}
	if len(spec.Features) == 0 {
		for i := range columns {
			if !used[i] {
				r.features = append(r.features, i)
			}
		}
	}
	for _, i := range r.features {
		r.featureNames = append(r.featureNames, columns[i])
	}
	if len(r.features) == 0 {
		return nil, dataErr(file, 1, "no feature columns")
	}
	return r, nil
}

// closer closes a file once.
type closer struct{ f io.Closer }

func (c *closer) Close() error {
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}
