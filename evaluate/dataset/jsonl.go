package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

type jsonlReader struct {
	closer
	file  string
	sc    *bufio.Scanner
	line  int
	cols  []string
	roles *roles
	first []byte
}

// maxLine bounds one JSON line (a row of a table).
const maxLine = 16 << 20

func openJSONL(spec Spec) (Reader, error) {
	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	j := &jsonlReader{closer: closer{f}, file: spec.Path, sc: bufio.NewScanner(f)}
	j.sc.Buffer(make([]byte, 64<<10), maxLine)
	first, err := j.nextLine()
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, dataErr(spec.Path, 1, "no rows")
		}
		return nil, err
	}
	if j.cols, err = objectKeys(first); err != nil {
		f.Close()
		return nil, dataErr(spec.Path, j.line, "%v", err)
	}
	if j.roles, err = resolve(spec, spec.Path, j.cols); err != nil {
		f.Close()
		return nil, err
	}
	j.first = bytes.Clone(first)
	return j, nil
}

func (j *jsonlReader) Features() []string { return j.roles.featureNames }

// nextLine returns the next non-blank line.
func (j *jsonlReader) nextLine() ([]byte, error) {
	for j.sc.Scan() {
		j.line++
		if b := bytes.TrimSpace(j.sc.Bytes()); len(b) > 0 {
			return b, nil
		}
	}
	if err := j.sc.Err(); err != nil {
		return nil, dataErr(j.file, j.line+1, "%v", err)
	}
	return nil, io.EOF
}

func (j *jsonlReader) Next() (*Row, error) {
	b := j.first
	j.first = nil
	if b == nil {
		var err error
		if b, err = j.nextLine(); err != nil {
			return nil, err
		}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, dataErr(j.file, j.line, "not a JSON object: %v", err)
	}
	for _, i := range append([]int{j.roles.label}, j.roles.features...) {
		if _, ok := obj[j.cols[i]]; !ok {
			return nil, dataErr(j.file, j.line, "no %q key", j.cols[i])
		}
	}
	return fill(j.file, j.line, j.cols, j.roles, func(i int) (string, []float64, error) {
		return jsonCell(obj[j.cols[i]])
	})
}

// jsonCell reads a JSON value as text (a string, or a number's or a
// boolean's literal) or as numbers (an array of numbers, nested arrays
// flattened).
func jsonCell(raw json.RawMessage) (string, []float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil, nil
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, nil, err
	case '[':
		nums := []float64{}
		return "", nums, flatten(raw, &nums)
	case '{':
		return "", nil, errors.New("an object where a value was expected")
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err != nil && string(raw) != "true" && string(raw) != "false" {
		return "", nil, fmt.Errorf("bad value %s", raw)
	}
	return string(raw), nil, nil
}

func flatten(raw json.RawMessage, out *[]float64) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return err
	}
	for _, it := range items {
		it = bytes.TrimSpace(it)
		if len(it) > 0 && it[0] == '[' {
			if err := flatten(it, out); err != nil {
				return err
			}
			continue
		}
		v, err := strconv.ParseFloat(string(it), 64)
		if err != nil {
			return fmt.Errorf("array element %s is not a number", it)
		}
		*out = append(*out, v)
	}
	return nil
}

// objectKeys are a JSON object's keys in order.
func objectKeys(b []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}
