package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

type csvReader struct {
	closer
	file  string
	sc    *csvScanner
	cols  []string
	roles *roles
	// fields are the current record's cells; strs interns the text of
	// labels, groups and slices.
	fields [][]byte
	strs   map[string]string
	// feature marks the feature columns; vals and ok are their cells'
	// numbers, read while the line is cut (ok false: read them as text).
	feature []bool
	vals    []float64
	ok      []bool
}

// maxInterned bounds the distinct texts a CSV reader keeps.
const maxInterned = 1 << 14

func openCSV(spec Spec) (Reader, error) {
	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	sc := newCSVScanner(f)
	header, line, err := sc.next()
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, dataErr(spec.Path, 1, "empty file: want a header row")
		}
		return nil, dataErr(spec.Path, line, "%v", err)
	}
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = strings.TrimSpace(string(h))
	}
	ro, err := resolve(spec, spec.Path, cols)
	if err != nil {
		f.Close()
		return nil, err
	}
	c := &csvReader{closer: closer{f}, file: spec.Path, sc: sc, cols: cols, roles: ro, strs: map[string]string{},
		feature: make([]bool, len(cols)), vals: make([]float64, len(cols)), ok: make([]bool, len(cols))}
	for _, i := range ro.features {
		c.feature[i] = true
	}
	return c, nil
}

func (c *csvReader) Features() []string { return c.roles.featureNames }

func (c *csvReader) Next() (*Row, error) {
	row := &Row{}
	if err := c.NextInto(row); err != nil {
		return nil, err
	}
	return row, nil
}

// NextInto reads the next row into row, reusing its slices.
func (c *csvReader) NextInto(row *Row) error {
	text, line, err := c.sc.nextLine()
	var rec [][]byte
	if err == nil {
		if bytes.IndexByte(text, '"') < 0 {
			rec = c.cut(text)
		} else {
			clear(c.ok)
			rec, line, err = c.sc.quoted(text, line)
		}
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return dataErr(c.file, line, "%v", err)
	}
	if len(rec) != len(c.cols) {
		return dataErr(c.file, line, "%d fields, but the header has %d columns", len(rec), len(c.cols))
	}
	c.fields = rec
	return fillInto(row, c.file, line, c.cols, c.roles, c.text, c.number)
}

// text is cell i, trimmed, interned.
func (c *csvReader) text(i int) (string, []float64, error) {
	b := bytes.TrimSpace(c.fields[i])
	if s, ok := c.strs[string(b)]; ok {
		return s, nil, nil
	}
	s := string(b)
	if len(c.strs) < maxInterned {
		c.strs[s] = s
	}
	return s, nil, nil
}

// cut splits a line without quotes at its commas, reading the feature
// cells' numbers on the way.
func (c *csvReader) cut(line []byte) [][]byte {
	fields := c.fields[:0]
	for col := 0; ; col++ {
		end := -1
		if col < len(c.feature) && c.feature[col] {
			v, n, ok := scanFloat(line)
			if ok = ok && (n == len(line) || line[n] == ','); ok {
				end = n
			}
			c.vals[col], c.ok[col] = v, ok
		}
		if end < 0 {
			if end = bytes.IndexByte(line, ','); end < 0 {
				end = len(line)
			}
		}
		fields = append(fields, line[:end])
		if end == len(line) {
			c.fields = fields
			return fields
		}
		line = line[end+1:]
	}
}

// number is cell i as a number, if it is one.
func (c *csvReader) number(i int) (float64, bool) {
	if c.ok[i] {
		return c.vals[i], true
	}
	v, err := parseFloat(c.fields[i])
	return v, err == nil
}

// fill builds a row from a table's cells: cell(i) returns column i as text
// or, for a JSON array, as numbers.
func fill(file string, line int, cols []string, ro *roles, cell func(i int) (string, []float64, error)) (*Row, error) {
	row := &Row{}
	if err := fillInto(row, file, line, cols, ro, cell, nil); err != nil {
		return nil, err
	}
	return row, nil
}

// fillInto is fill into row, reusing its slices; number, when set, reads
// a feature cell that holds a number without going through text.
func fillInto(row *Row, file string, line int, cols []string, ro *roles, cell func(i int) (string, []float64, error), number func(i int) (float64, bool)) error {
	*row = Row{File: file, Line: line, Weight: 1, Features: row.Features[:0], Groups: row.Groups[:0], Slices: row.Slices[:0]}
	if row.Features == nil {
		row.Features = make([]float64, 0, len(ro.features))
	}
	text := func(i int, role string) (string, error) {
		s, nums, err := cell(i)
		if err != nil {
			return "", dataErr(file, line, "column %q: %v", cols[i], err)
		}
		if nums != nil {
			return "", dataErr(file, line, "%s column %q holds an array", role, cols[i])
		}
		if s == "" {
			return "", dataErr(file, line, "%s column %q is empty", role, cols[i])
		}
		return s, nil
	}
	var err error
	if row.Label, err = text(ro.label, "label"); err != nil {
		return err
	}
	for _, i := range ro.groups {
		s, err := text(i, "group")
		if err != nil {
			return err
		}
		row.Groups = append(row.Groups, s)
	}
	for _, i := range ro.slices {
		s, err := text(i, "slice")
		if err != nil {
			return err
		}
		row.Slices = append(row.Slices, s)
	}
	if ro.weight >= 0 {
		s, err := text(ro.weight, "weight")
		if err != nil {
			return err
		}
		if row.Weight, err = strconv.ParseFloat(s, 64); err != nil || row.Weight < 0 {
			return dataErr(file, line, "weight column %q: %q is not a non-negative number", cols[ro.weight], s)
		}
	}
	for _, i := range ro.features {
		if number != nil {
			if v, ok := number(i); ok {
				row.Features = append(row.Features, v)
				continue
			}
		}
		s, nums, err := cell(i)
		if err != nil {
			return dataErr(file, line, "column %q: %v", cols[i], err)
		}
		if nums != nil {
			row.Features = append(row.Features, nums...)
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return dataErr(file, line, "feature column %q: %q is not a number (a column that is not a feature needs a role: label, group, slice or weight)", cols[i], s)
		}
		row.Features = append(row.Features, v)
	}
	return nil
}
