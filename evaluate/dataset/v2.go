package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/internal/strictjson"
	"github.com/inferd/inferd/tensor"
)

// A v2 request dataset holds records, one JSON object each:
//
//	{"request":  <an Open Inference Protocol v2 inference request body>,
//	 "expected": [<v2 output tensors, as in a response's "outputs">],
//	 "columns":  {"sex": ["F", "M"], ...}}   (optional)
//
// The request's inputs hold N samples (their first dimension, the same for
// every input); the expected tensor named Spec.Label holds each sample's
// label (a class name, a class index, or a regression value) with first
// dimension N; each column named by Spec.Groups, Spec.Slices or
// Spec.Weight is an array of N values. A record becomes N rows.
type v2Record struct {
	Request  *v2.InferRequest             `json:"request"`
	Expected []v2.ResponseOutput          `json:"expected"`
	Columns  map[string][]json.RawMessage `json:"columns,omitempty"`
}

// maxRecordFile bounds one record file of a v2 request directory.
const maxRecordFile = 64 << 20

// v2Reader reads records from a JSON Lines file (one record a line) or a
// directory of .json files (one record a file, in name order) and hands
// out their samples one at a time.
type v2Reader struct {
	closer
	spec    Spec
	sc      *bufio.Scanner // JSON Lines
	line    int
	records int
	files   []string // directory
	file    string   // where the pending rows come from
	pending []*Row
}

// isV2Dir tells whether path is a directory of .json record files.
func isV2Dir(path string) bool {
	entries, err := os.ReadDir(path)
	if err != nil {
		return false
	}
	found := false
	for _, e := range entries {
		if e.IsDir() {
			return false
		}
		found = found || strings.HasSuffix(strings.ToLower(e.Name()), ".json")
	}
	return found
}

func openV2(spec Spec) (Reader, error) {
	if len(spec.Features) > 0 {
		return nil, fmt.Errorf("dataset %s: a v2 request dataset has no feature columns: the requests' inputs are the model's inputs", spec.Path)
	}
	r := &v2Reader{spec: spec, file: spec.Path}
	fi, err := os.Stat(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if !fi.IsDir() {
		f, err := os.Open(spec.Path)
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		r.closer = closer{f}
		r.sc = bufio.NewScanner(f)
		r.sc.Buffer(make([]byte, 64<<10), maxLine)
		return r, nil
	}
	entries, err := os.ReadDir(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	for _, e := range entries {
		if strings.HasSuffix(strings.ToLower(e.Name()), ".json") && !e.IsDir() {
			r.files = append(r.files, filepath.Join(spec.Path, e.Name()))
		}
	}
	if len(r.files) == 0 {
		return nil, dataErr(spec.Path, 0, "no .json request files")
	}
	return r, nil
}

func (r *v2Reader) Features() []string { return nil }

func (r *v2Reader) Next() (*Row, error) {
	for len(r.pending) == 0 {
		b, err := r.nextRecord()
		if err != nil {
			return nil, err
		}
		if r.pending, err = r.decode(b); err != nil {
			return nil, err
		}
	}
	row := r.pending[0]
	r.pending[0] = nil
	r.pending = r.pending[1:]
	return row, nil
}

// nextRecord returns the next record's JSON: the next non-blank line, or
// the next file's contents.
func (r *v2Reader) nextRecord() ([]byte, error) {
	if r.sc != nil {
		for r.sc.Scan() {
			r.line++
			if b := bytes.TrimSpace(r.sc.Bytes()); len(b) > 0 {
				r.records++
				return b, nil
			}
		}
		if err := r.sc.Err(); err != nil {
			return nil, dataErr(r.file, r.line+1, "%v", err)
		}
		if r.records == 0 {
			return nil, dataErr(r.file, 1, "no records")
		}
		return nil, io.EOF
	}
	if len(r.files) == 0 {
		return nil, io.EOF
	}
	r.file, r.files = r.files[0], r.files[1:]
	if fi, err := os.Stat(r.file); err == nil && fi.Size() > maxRecordFile {
		return nil, dataErr(r.file, 0, "%d bytes: a record file holds at most %d", fi.Size(), maxRecordFile)
	}
	b, err := os.ReadFile(r.file)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return b, nil
}

// decode turns one record into its rows.
func (r *v2Reader) decode(b []byte) ([]*Row, error) {
	bad := func(format string, args ...any) error { return dataErr(r.file, r.line, format, args...) }
	var rec v2Record
	err := strictjson.Decode(bytes.NewReader(b), &rec, true)
	switch {
	case errors.Is(err, strictjson.ErrTrailing):
		return nil, bad("data after the record's JSON object")
	case err != nil:
		return nil, bad("not a v2 request record (want {\"request\": ..., \"expected\": [...], \"columns\": {...}}): %v", err)
	}
	if rec.Request == nil || len(rec.Request.Inputs) == 0 {
		return nil, bad(`no "request" with inputs`)
	}
	inputs, n, err := splitInputs(rec.Request.Inputs)
	if err != nil {
		return nil, bad("request: %v", err)
	}
	labels, err := r.labels(rec.Expected, n)
	if err != nil {
		return nil, bad("%v", err)
	}
	cols, ro, err := r.columnRoles(rec.Columns, n)
	if err != nil {
		return nil, bad("%v", err)
	}
	rows := make([]*Row, n)
	for i := range n {
		row, err := fill(r.file, r.line, cols, ro, func(c int) (string, []float64, error) {
			if c == 0 {
				return labels[i], nil, nil
			}
			return jsonCell(rec.Columns[cols[c]][i])
		})
		if err != nil {
			return nil, sampleErr(err, i+1)
		}
		row.Sample = i + 1
		row.Inputs = make(map[string]*tensor.Tensor, len(inputs))
		for name, parts := range inputs {
			row.Inputs[name] = parts[i]
		}
		rows[i] = row
	}
	return rows, nil
}

// sampleErr adds the sample to an error about a record.
func sampleErr(err error, sample int) error {
	var de *Error
	if errors.As(err, &de) {
		de.Sample = sample
	}
	return err
}

// splitInputs decodes the request's inputs and cuts each into its n
// samples of first dimension 1.
func splitInputs(ins []v2.RequestInput) (map[string][]*tensor.Tensor, int, error) {
	out := make(map[string][]*tensor.Tensor, len(ins))
	n := -1
	for _, in := range ins {
		if _, dup := out[in.Name]; dup {
			return nil, 0, fmt.Errorf("input %q appears twice", in.Name)
		}
		t, err := in.Tensor(nil)
		if err != nil {
			return nil, 0, err
		}
		if t.Rank() == 0 || t.Shape()[0] == 0 {
			return nil, 0, fmt.Errorf("input %q has shape %v: want a first (batch) dimension of at least 1", in.Name, t.Shape())
		}
		if n >= 0 && t.Shape()[0] != n {
			return nil, 0, fmt.Errorf("input %q holds %d samples, input %q %d: every input needs the same first dimension", in.Name, t.Shape()[0], ins[0].Name, n)
		}
		n = t.Shape()[0]
		if out[in.Name], err = tensor.Split(t, slices.Repeat([]int{1}, n)); err != nil {
			return nil, 0, err
		}
	}
	return out, n, nil
}

// labels reads the expected tensor named Spec.Label as n labels.
func (r *v2Reader) labels(expected []v2.ResponseOutput, n int) ([]string, error) {
	var names []string
	for _, e := range expected {
		names = append(names, e.Name)
		if e.Name != r.spec.Label {
			continue
		}
		t, err := e.Tensor(nil)
		if err != nil {
			return nil, fmt.Errorf("expected: %w", err)
		}
		if t.Rank() == 0 || t.Len() != n || t.Shape()[0] != n {
			return nil, fmt.Errorf("expected output %q has shape %v: want one value for each of the request's %d samples", e.Name, t.Shape(), n)
		}
		return labelStrings(t)
	}
	return nil, fmt.Errorf("no expected output %q (the label; expected outputs: %s)", r.spec.Label, strings.Join(names, ", "))
}

// labelStrings are a tensor's elements as label text: BYTES as they
// are, numbers in their shortest form, booleans as 1 and 0.
func labelStrings(t *tensor.Tensor) ([]string, error) {
	out := make([]string, t.Len())
	if t.DType() == tensor.Float16 {
		return nil, errors.New("FP16 expected labels: use FP32, an integer type or BYTES")
	}
	switch d := t.Data().(type) {
	case []string:
		copy(out, d)
	case []bool:
		for i, v := range d {
			out[i] = map[bool]string{true: "1", false: "0"}[v]
		}
	case []float32:
		for i, v := range d {
			out[i] = strconv.FormatFloat(float64(v), 'g', -1, 64)
		}
	case []float64:
		for i, v := range d {
			out[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	case []uint64:
		for i, v := range d {
			out[i] = strconv.FormatUint(v, 10)
		}
	default:
		formatInts(out, t.Data())
	}
	return out, nil
}

func formatInts(out []string, data any) {
	switch d := data.(type) {
	case []uint8:
		fmtInts(out, d)
	case []uint16:
		fmtInts(out, d)
	case []uint32:
		fmtInts(out, d)
	case []int8:
		fmtInts(out, d)
	case []int16:
		fmtInts(out, d)
	case []int32:
		fmtInts(out, d)
	case []int64:
		fmtInts(out, d)
	}
}

func fmtInts[T uint8 | uint16 | uint32 | int8 | int16 | int32 | int64](out []string, d []T) {
	for i, v := range d {
		out[i] = strconv.FormatInt(int64(v), 10)
	}
}

// columnRoles lays out the record's label (column 0), group, slice and
// weight columns for fill, checking that each has n values.
func (r *v2Reader) columnRoles(columns map[string][]json.RawMessage, n int) ([]string, *roles, error) {
	cols := []string{r.spec.Label}
	ro := &roles{label: 0, weight: -1}
	add := func(role, name string) (int, error) {
		vals, ok := columns[name]
		if !ok {
			return 0, fmt.Errorf("no %s column %q in the record's \"columns\"", role, name)
		}
		if len(vals) != n {
			return 0, fmt.Errorf("%s column %q has %d values for the request's %d samples", role, name, len(vals), n)
		}
		cols = append(cols, name)
		return len(cols) - 1, nil
	}
	for _, set := range []struct {
		role  string
		names []string
		dst   *[]int
	}{{"group", r.spec.Groups, &ro.groups}, {"slice", r.spec.Slices, &ro.slices}} {
		for _, name := range set.names {
			i, err := add(set.role, name)
			if err != nil {
				return nil, nil, err
			}
			*set.dst = append(*set.dst, i)
		}
	}
	if r.spec.Weight != "" {
		i, err := add("weight", r.spec.Weight)
		if err != nil {
			return nil, nil, err
		}
		ro.weight = i
	}
	return cols, ro, nil
}
