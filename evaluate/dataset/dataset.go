package dataset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/inferd/inferd/tensor"
)

// Spec says where a dataset is and which columns mean what.
type Spec struct {
	// Path is a .csv, .jsonl (or .ndjson) or .parquet file, a directory
	// of images with one subfolder per class, or v2 request records: a
	// .v2.jsonl file or a directory of .json files.
	Path string
	// Format overrides the format guessed from Path: csv, jsonl, parquet,
	// images or v2.
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
	// Inputs are a v2 request's input tensors for this sample (first
	// dimension 1), by input name.
	Inputs map[string]*tensor.Tensor
	// Line is the row's 1-based line in File (0 for images and record
	// files); Sample is its 1-based sample in a v2 request (0 otherwise).
	Line   int
	Sample int
	Label  string
	Groups []string
	Slices []string
	Weight float64
}

// Where names the row in errors: "file line N", "file line N sample M"
// or the image file.
func (r *Row) Where() string {
	return (&Error{File: r.File, Line: r.Line, Sample: r.Sample}).where()
}

// Errorf is an error about the data of this row, wrapping ErrData.
func (r *Row) Errorf(format string, args ...any) error {
	return &Error{File: r.File, Line: r.Line, Sample: r.Sample, Err: fmt.Errorf("%w: "+format, append([]any{ErrData}, args...)...)}
}

// Reader yields rows until io.EOF.
type Reader interface {
	Next() (*Row, error)
	// Features are the feature columns (nil for images), Columns every
	// column of the table.
	Features() []string
	Close() error
}

// Error is an error about the data at one place: a file, its line (0:
// the whole file) and, in a v2 request, the sample (0: the request).
type Error struct {
	File   string
	Line   int
	Sample int
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.where(), e.Err) }

func (e *Error) where() string {
	w := e.File
	if e.Line > 0 {
		w += fmt.Sprintf(" line %d", e.Line)
	}
	if e.Sample > 0 {
		w += fmt.Sprintf(" sample %d", e.Sample)
	}
	return w
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
	case "v2":
		return openV2(spec)
	}
	return nil, fmt.Errorf("dataset %s: unknown format %q (want csv, jsonl, parquet, images or v2)", spec.Path, format)
}

func guessFormat(path string) string {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		if isV2Dir(path) {
			return "v2"
		}
		return "images"
	}
	if strings.HasSuffix(strings.ToLower(path), ".v2.jsonl") {
		return "v2"
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

// First reads the dataset's first row, which tells what its rows hold.
func First(spec Spec) (*Row, error) {
	r, err := Open(spec)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	row, err := r.Next()
	if errors.Is(err, io.EOF) {
		return nil, dataErr(spec.Path, 0, "no rows")
	}
	return row, err
}
