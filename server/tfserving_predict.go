package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

type tfPredictRequest struct {
	SignatureName string          `json:"signature_name"`
	Instances     json.RawMessage `json:"instances"`
	Inputs        json.RawMessage `json:"inputs"`
}

// tfReadJSON reads and strictly decodes a TF Serving request body.
func (s *Server) tfReadJSON(r *http.Request, v any) error {
	if r.ContentLength > s.maxBody {
		return errorf(http.StatusRequestEntityTooLarge, "request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, s.maxBody)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return readError(err)
	}
	if !utf8.Valid(body) {
		return errorf(http.StatusBadRequest, `request JSON is not valid UTF-8 (at byte %d); send binary strings as {"b64": "<base64>"}`, invalidUTF8At(body))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "request body has data after the JSON object")
	}
	return nil
}

func checkSignature(name string) error {
	if name != "" && name != tfSignature {
		return errorf(http.StatusBadRequest, "signature_name %q not found; the model has one signature, %q", name, tfSignature)
	}
	return nil
}

// tfPredict serves :predict in the row ("instances") or columnar
// ("inputs") format, answering "predictions" or "outputs" alike.
func (s *Server) tfPredict(r *http.Request, v *serving.Version) (any, error) {
	var req tfPredictRequest
	if err := s.tfReadJSON(r, &req); err != nil {
		return nil, err
	}
	if err := checkSignature(req.SignatureName); err != nil {
		return nil, err
	}
	rowFormat := len(req.Instances) > 0
	if rowFormat == (len(req.Inputs) > 0) {
		return nil, errorf(http.StatusBadRequest, `send either "instances" (row format) or "inputs" (columnar format)`)
	}
	var (
		inputs map[string]*tensor.Tensor
		rows   int
		err    error
	)
	if rowFormat {
		inputs, rows, err = tfRowInputs(v, req.Instances)
	} else {
		inputs, err = tfColumnInputs(v, req.Inputs)
	}
	if err != nil {
		return nil, err
	}
	outs, err := s.run(r.Context(), v, inputs)
	if err != nil {
		return nil, err
	}
	declared := v.Outputs()
	if !rowFormat {
		if len(declared) == 1 {
			return map[string]json.RawMessage{"outputs": tfEncode(declared[0].Name, outs[declared[0].Name])}, nil
		}
		cols := map[string]json.RawMessage{}
		for _, d := range declared {
			cols[d.Name] = tfEncode(d.Name, outs[d.Name])
		}
		return map[string]any{"outputs": cols}, nil
	}
	byOutput := map[string][]json.RawMessage{}
	for _, d := range declared {
		t := outs[d.Name]
		if t.Rank() == 0 || t.Shape()[0] != rows {
			return nil, fmt.Errorf("%w: output %q has shape %v, not one row per instance (%d); use the columnar format (\"inputs\")", engine.ErrInvalidInput, d.Name, t.Shape(), rows)
		}
		if byOutput[d.Name], err = splitRows(tfEncode(d.Name, t)); err != nil {
			return nil, err
		}
	}
	preds := make([]any, rows)
	for i := range preds {
		if len(declared) == 1 {
			preds[i] = byOutput[declared[0].Name][i]
			continue
		}
		row := map[string]json.RawMessage{}
		for _, d := range declared {
			row[d.Name] = byOutput[d.Name][i]
		}
		preds[i] = row
	}
	return map[string]any{"predictions": preds}, nil
}

// tfRowInputs decodes "instances": a list of rows, each the value of the
// only input or an object of named inputs; the rows are stacked into
// batches.
func tfRowInputs(v *serving.Version, instances json.RawMessage) (map[string]*tensor.Tensor, int, error) {
	var rows []json.RawMessage
	if err := json.Unmarshal(instances, &rows); err != nil {
		return nil, 0, errorf(http.StatusBadRequest, `"instances" must be a list of rows`)
	}
	if len(rows) == 0 {
		return nil, 0, errorf(http.StatusBadRequest, `"instances" is empty`)
	}
	if !isObject(rows[0]) {
		in, err := onlyInput(v)
		if err != nil {
			return nil, 0, err
		}
		t, err := tfInput(v, in, joinRows(rows))
		if err != nil {
			return nil, 0, err
		}
		return map[string]*tensor.Tensor{in.Name: t}, len(rows), nil
	}
	named := make([]map[string]json.RawMessage, len(rows))
	for i, row := range rows {
		if err := json.Unmarshal(row, &named[i]); err != nil || !isObject(row) {
			return nil, 0, errorf(http.StatusBadRequest, "instance %d is not an object of named inputs like instance 0", i)
		}
	}
	inputs, err := tfNamedRows(v, named)
	return inputs, len(rows), err
}

// tfNamedRows stacks rows of named input values into one batch per input.
func tfNamedRows(v *serving.Version, rows []map[string]json.RawMessage) (map[string]*tensor.Tensor, error) {
	names := slices.Sorted(maps.Keys(rows[0]))
	inputs := make(map[string]*tensor.Tensor, len(names))
	for _, name := range names {
		col := make([]json.RawMessage, len(rows))
		for i, row := range rows {
			val, ok := row[name]
			if !ok || len(row) != len(names) {
				return nil, errorf(http.StatusBadRequest, "instance %d has inputs %v, instance 0 has %v; every instance must name the same inputs", i, slices.Sorted(maps.Keys(row)), names)
			}
			col[i] = val
		}
		in, err := inputInfo(v, name)
		if err != nil {
			return nil, err
		}
		if inputs[name], err = tfInput(v, in, joinRows(col)); err != nil {
			return nil, err
		}
	}
	return inputs, nil
}

// tfColumnInputs decodes "inputs": the value of the only input, or an
// object of named input values.
func tfColumnInputs(v *serving.Version, raw json.RawMessage) (map[string]*tensor.Tensor, error) {
	if !isObject(raw) {
		in, err := onlyInput(v)
		if err != nil {
			return nil, err
		}
		t, err := tfInput(v, in, raw)
		if err != nil {
			return nil, err
		}
		return map[string]*tensor.Tensor{in.Name: t}, nil
	}
	var named map[string]json.RawMessage
	if err := json.Unmarshal(raw, &named); err != nil {
		return nil, jsonError(err)
	}
	inputs := make(map[string]*tensor.Tensor, len(named))
	for name, val := range named {
		in, err := inputInfo(v, name)
		if err != nil {
			return nil, err
		}
		if inputs[name], err = tfInput(v, in, val); err != nil {
			return nil, err
		}
	}
	return inputs, nil
}

// tfInput decodes one input's value. Strings or b64 values given for the
// image input of a model with image preprocessing are encoded images.
func tfInput(v *serving.Version, in engine.TensorInfo, raw json.RawMessage) (*tensor.Tensor, error) {
	asBytes := in.Name == v.ImageInput() && hasStringLeaf(raw)
	t, err := tfDecode(raw, in.DType, asBytes)
	if err != nil {
		return nil, fmt.Errorf("input %q (%v): %w", in.Name, in.DType, err)
	}
	return t, nil
}

func onlyInput(v *serving.Version) (engine.TensorInfo, error) {
	ins := v.Inputs()
	if len(ins) != 1 {
		return engine.TensorInfo{}, fmt.Errorf("%w: model %q has %d inputs %v; name them: give objects of named inputs", engine.ErrInvalidInput, v.Model, len(ins), engine.InfoNames(ins))
	}
	return ins[0], nil
}

func inputInfo(v *serving.Version, name string) (engine.TensorInfo, error) {
	ins := v.Inputs()
	if i := indexInfo(ins, name); i >= 0 {
		return ins[i], nil
	}
	return engine.TensorInfo{}, fmt.Errorf("%w: unknown input %q (model inputs: %v)", engine.ErrInvalidInput, name, engine.InfoNames(ins))
}
