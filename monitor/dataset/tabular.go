package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// maxLine bounds one JSON Lines record.
const maxLine = 64 << 20

// jsonlRequests reads one request a line: {"inputs": {name: value}, …}
// where a value is a nested array (with the batch dimension) of the
// input's declared type, or a captured tensor ({"datatype", "shape",
// "data"}, as inferd data export writes). Other fields (label) are
// ignored.
func jsonlRequests(path string, inputs []engine.TensorInfo) ([]*serving.Request, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), maxLine)
	var reqs []*serving.Request
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if len(reqs) == MaxRows {
			return nil, fmt.Errorf("%s: more than %d requests", path, MaxRows)
		}
		var rec struct {
			Inputs map[string]json.RawMessage `json:"inputs"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		ins, err := decodeInputs(rec.Inputs, inputs)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		reqs = append(reqs, &serving.Request{Inputs: ins})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("%s: no requests", path)
	}
	return reqs, nil
}

func decodeInputs(raw map[string]json.RawMessage, inputs []engine.TensorInfo) (map[string]*tensor.Tensor, error) {
	if len(raw) == 0 {
		return nil, errors.New(`no "inputs" object`)
	}
	out := map[string]*tensor.Tensor{}
	for name, v := range raw {
		if bytes.HasPrefix(bytes.TrimSpace(v), []byte("{")) {
			ts, err := monitor.DecodeTensors(json.RawMessage(`{"x":` + string(v) + `}`))
			if err != nil {
				return nil, fmt.Errorf("input %q: %w", name, err)
			}
			if ts["x"] == nil {
				return nil, fmt.Errorf("input %q is redacted", name)
			}
			out[name] = ts["x"]
			continue
		}
		dt := tensor.Float32
		for _, in := range inputs {
			if in.Name == name {
				dt = in.DType
			}
		}
		t, err := tensor.FromJSON(v, dt)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// csvRequests reads a header and one row a request into the model's only
// input, a [1, columns] tensor; a column named label is left out.
func csvRequests(path string, inputs []engine.TensorInfo) ([]*serving.Request, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("%s: CSV needs a model with one input, this one has %d", path, len(inputs))
	}
	in := inputs[0]
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	var reqs []*serving.Request
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(reqs) == MaxRows {
			return nil, fmt.Errorf("%s: more than %d rows", path, MaxRows)
		}
		var vals []float32
		for i, cell := range rec {
			if header[i] == "label" {
				continue
			}
			v, err := strconv.ParseFloat(cell, 32)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: column %s: %q is not a number", path, line, header[i], cell)
			}
			vals = append(vals, float32(v))
		}
		t := tensor.MustFromSlice(vals, 1, len(vals))
		reqs = append(reqs, &serving.Request{Inputs: map[string]*tensor.Tensor{in.Name: t}})
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return reqs, nil
}
