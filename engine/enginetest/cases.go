package enginetest

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/inferd/inferd/tensor"
)

//go:embed testdata/*.onnx testdata/*.json
var testdata embed.FS

// Case is one conformance model with its expectations.
type Case struct {
	// Name is the file name without extension.
	Name string
	// Model is the serialized ONNX model.
	Model []byte
	// Inputs and Outputs are the reference run. Outputs is empty for a
	// model that must fail to load.
	Inputs  map[string]*tensor.Tensor
	Outputs map[string]*tensor.Tensor
	// Errors are runs whose inputs fit the declared input types but must
	// fail in the graph, with an error wrapping engine.ErrInvalidInput that
	// contains the text.
	Errors []ErrorRun
	// LoadError, when set, lists texts the load error must contain.
	LoadError []string
}

// ErrorRun is a run that must fail.
type ErrorRun struct {
	Inputs   map[string]*tensor.Tensor
	Contains string
}

type caseFile struct {
	Inputs  []tensorJSON `json:"inputs"`
	Outputs []tensorJSON `json:"outputs"`
	Errors  []struct {
		Inputs   []tensorJSON `json:"inputs"`
		Contains string       `json:"contains"`
	} `json:"errors"`
	LoadError []string `json:"load_error"`
}

type tensorJSON struct {
	Name     string        `json:"name"`
	DataType tensor.DType  `json:"datatype"`
	Shape    []int         `json:"shape"`
	Data     []json.Number `json:"data"`
	Bools    []bool        `json:"-"`
}

// Cases returns the conformance cases, sorted by name.
func Cases() ([]Case, error) {
	names, err := fs.Glob(testdata, "testdata/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	cases := make([]Case, 0, len(names))
	for _, name := range names {
		c, err := loadCase(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func loadCase(jsonPath string) (Case, error) {
	base := strings.TrimSuffix(jsonPath, ".json")
	c := Case{Name: filepath.Base(base)}
	var err error
	if c.Model, err = testdata.ReadFile(base + ".onnx"); err != nil {
		return c, err
	}
	raw, err := testdata.ReadFile(jsonPath)
	if err != nil {
		return c, err
	}
	var f caseFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return c, err
	}
	c.LoadError = f.LoadError
	if c.Inputs, err = decodeTensors(f.Inputs); err != nil {
		return c, err
	}
	if c.Outputs, err = decodeTensors(f.Outputs); err != nil {
		return c, err
	}
	for _, e := range f.Errors {
		in, err := decodeTensors(e.Inputs)
		if err != nil {
			return c, err
		}
		c.Errors = append(c.Errors, ErrorRun{Inputs: in, Contains: e.Contains})
	}
	return c, nil
}

// WriteModel writes the case's model to dir and returns its path.
func (c *Case) WriteModel(dir string) (string, error) {
	path := filepath.Join(dir, c.Name+".onnx")
	return path, os.WriteFile(path, c.Model, 0o644)
}

// UnmarshalJSON accepts booleans as well as numbers in data.
func (tj *tensorJSON) UnmarshalJSON(b []byte) error {
	type plain struct {
		Name     string            `json:"name"`
		DataType tensor.DType      `json:"datatype"`
		Shape    []int             `json:"shape"`
		Data     []json.RawMessage `json:"data"`
	}
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	tj.Name, tj.DataType, tj.Shape = p.Name, p.DataType, p.Shape
	for _, raw := range p.Data {
		raw = bytes.TrimSpace(raw)
		switch string(raw) {
		case "true", "false":
			tj.Bools = append(tj.Bools, string(raw) == "true")
		default:
			tj.Data = append(tj.Data, json.Number(raw))
		}
	}
	return nil
}

func decodeTensors(list []tensorJSON) (map[string]*tensor.Tensor, error) {
	m := make(map[string]*tensor.Tensor, len(list))
	for _, tj := range list {
		t, err := tj.tensor()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", tj.Name, err)
		}
		m[tj.Name] = t
	}
	return m, nil
}

func (tj *tensorJSON) tensor() (*tensor.Tensor, error) {
	if tj.DataType == tensor.Bool {
		return tensor.FromSlice(tj.Bools, tj.Shape...)
	}
	if len(tj.Bools) > 0 {
		return nil, fmt.Errorf("boolean data for datatype %v", tj.DataType)
	}
	switch tj.DataType {
	case tensor.Float32:
		return fromNumbers(tj, func(s string) (float32, error) { v, err := strconv.ParseFloat(s, 32); return float32(v), err })
	case tensor.Float64:
		return fromNumbers(tj, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })
	case tensor.Int8:
		return fromNumbers(tj, func(s string) (int8, error) { v, err := strconv.ParseInt(s, 10, 8); return int8(v), err })
	case tensor.Uint8:
		return fromNumbers(tj, func(s string) (uint8, error) { v, err := strconv.ParseUint(s, 10, 8); return uint8(v), err })
	case tensor.Int32:
		return fromNumbers(tj, func(s string) (int32, error) { v, err := strconv.ParseInt(s, 10, 32); return int32(v), err })
	case tensor.Int64:
		return fromNumbers(tj, func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) })
	}
	return nil, fmt.Errorf("datatype %v is not supported in test files", tj.DataType)
}

func fromNumbers[T tensor.Elem](tj *tensorJSON, parse func(string) (T, error)) (*tensor.Tensor, error) {
	data := make([]T, len(tj.Data))
	for i, n := range tj.Data {
		v, err := parse(n.String())
		if err != nil {
			return nil, err
		}
		data[i] = v
	}
	return tensor.FromSlice(data, tj.Shape...)
}
