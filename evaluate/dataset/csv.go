package dataset

import (
	"encoding/csv"
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
	r     *csv.Reader
	cols  []string
	roles *roles
}

func openCSV(spec Spec) (Reader, error) {
	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, dataErr(spec.Path, 1, "empty file: want a header row")
		}
		return nil, dataErr(spec.Path, 1, "%v", err)
	}
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = strings.TrimSpace(h)
	}
	ro, err := resolve(spec, spec.Path, cols)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &csvReader{closer: closer{f}, file: spec.Path, r: r, cols: cols, roles: ro}, nil
}

func (c *csvReader) Features() []string { return c.roles.featureNames }

func (c *csvReader) Next() (*Row, error) {
	rec, err := c.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, dataErr(c.file, pe.Line, "%v", pe.Err)
		}
		return nil, fmt.Errorf("dataset %s: %w", c.file, err)
	}
	line, _ := c.r.FieldPos(0)
	if len(rec) != len(c.cols) {
		return nil, dataErr(c.file, line, "%d fields, but the header has %d columns", len(rec), len(c.cols))
	}
	return fill(c.file, line, c.cols, c.roles, func(i int) (string, []float64, error) {
		return strings.TrimSpace(rec[i]), nil, nil
	})
}

// fill builds a row from a table's cells: cell(i) returns column i as text
// or, for a JSON array, as numbers.
func fill(file string, line int, cols []string, ro *roles, cell func(i int) (string, []float64, error)) (*Row, error) {
	row := &Row{File: file, Line: line, Weight: 1, Features: make([]float64, 0, len(ro.features))}
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
		return nil, err
	}
	for _, i := range ro.groups {
		s, err := text(i, "group")
		if err != nil {
			return nil, err
		}
		row.Groups = append(row.Groups, s)
	}
	for _, i := range ro.slices {
		s, err := text(i, "slice")
		if err != nil {
			return nil, err
		}
		row.Slices = append(row.Slices, s)
	}
	if ro.weight >= 0 {
		s, err := text(ro.weight, "weight")
		if err != nil {
			return nil, err
		}
		if row.Weight, err = strconv.ParseFloat(s, 64); err != nil || row.Weight < 0 {
			return nil, dataErr(file, line, "weight column %q: %q is not a non-negative number", cols[ro.weight], s)
		}
	}
	for _, i := range ro.features {
		s, nums, err := cell(i)
		if err != nil {
			return nil, dataErr(file, line, "column %q: %v", cols[i], err)
		}
		if nums != nil {
			row.Features = append(row.Features, nums...)
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, dataErr(file, line, "feature column %q: %q is not a number (a column that is not a feature needs a role: label, group, slice or weight)", cols[i], s)
		}
		row.Features = append(row.Features, v)
	}
	return row, nil
}
