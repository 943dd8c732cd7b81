package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

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
	body, err := s.readBody(r)
	if err != nil {
		return err
	}
	if err := validUTF8(body, `send binary strings as {"b64": "<base64>"}`); err != nil {
		return err
	}
	// The decoder's buffer and the copies of the values it keeps raw.
	if err := reservationOf(r.Context()).charge(2*int64(len(body)), "decoding the request JSON"); err != nil {
		return err
	}
	return decodeJSON(bytes.NewReader(body), v, false, "")
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
	mem := reservationOf(r.Context())
	if rowFormat {
		inputs, rows, err = tfRowInputs(mem, v, req.Instances)
	} else {
		inputs, err = tfColumnInputs(mem, v, req.Inputs)
	}
	if err != nil {
		return nil, err
	}
	res, err := v.Infer(r.Context(), &serving.Request{Inputs: inputs, MaxPixels: s.maxPixels, Charge: mem.chargeFunc()})
	if err != nil {
		return nil, err
	}
	if rowFormat {
		return tfRowAnswer(res.Outputs, rows)
	}
	return tfColumnAnswer(res.Outputs), nil
}

// tfColumnAnswer is {"outputs": <the only output>} or {"outputs": {<name>:
// <value>, ...}}.
func tfColumnAnswer(outs []serving.Output) any {
	if len(outs) == 1 {
		return map[string]json.RawMessage{"outputs": tfEncode(outs[0].Name, outs[0].Tensor)}
	}
	cols := make(map[string]json.RawMessage, len(outs))
	for _, o := range outs {
		cols[o.Name] = tfEncode(o.Name, o.Tensor)
	}
	return map[string]any{"outputs": cols}
}

// tfRowAnswer is {"predictions": [<row>, ...]}, a row being the only
// output's value or an object of named output values; every output must
// have one row per instance.
func tfRowAnswer(outs []serving.Output, rows int) (any, error) {
	byOutput := make([][]json.RawMessage, len(outs))
	for i, o := range outs {
		t := o.Tensor
		if t.Rank() == 0 || t.Shape()[0] != rows {
			return nil, fmt.Errorf("%w: output %q has shape %v, not one row per instance (%d); use the columnar format (\"inputs\")", engine.ErrInvalidInput, o.Name, t.Shape(), rows)
		}
		var err error
		if byOutput[i], err = splitRows(tfEncode(o.Name, t)); err != nil {
			return nil, err
		}
	}
	preds := make([]any, rows)
	for r := range preds {
		if len(outs) == 1 {
			preds[r] = byOutput[0][r]
			continue
		}
		row := make(map[string]json.RawMessage, len(outs))
		for i, o := range outs {
			row[o.Name] = byOutput[i][r]
		}
		preds[r] = row
	}
	return map[string]any{"predictions": preds}, nil
}

// tfRowInputs decodes "instances": a list of rows, each the value of the
// only input or an object of named inputs; the rows are stacked into
// batches.
func tfRowInputs(mem *reservation, v *serving.Version, instances json.RawMessage) (map[string]*tensor.Tensor, int, error) {
	// The rows are copied out of instances, then joined again by input.
	if err := mem.charge(2*int64(len(instances)), `splitting "instances" into rows`); err != nil {
		return nil, 0, err
	}
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
		t, err := jsonInput(mem, v, in, joinRows(rows), true)
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
	inputs, err := tfNamedRows(mem, v, named)
	return inputs, len(rows), err
}

// tfNamedRows stacks rows of named input values into one batch per input.
func tfNamedRows(mem *reservation, v *serving.Version, rows []map[string]json.RawMessage) (map[string]*tensor.Tensor, error) {
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
		if inputs[name], err = jsonInput(mem, v, in, joinRows(col), true); err != nil {
			return nil, err
		}
	}
	return inputs, nil
}

// tfColumnInputs decodes "inputs": the value of the only input, or an
// object of named input values.
func tfColumnInputs(mem *reservation, v *serving.Version, raw json.RawMessage) (map[string]*tensor.Tensor, error) {
	if !isObject(raw) {
		in, err := onlyInput(v)
		if err != nil {
			return nil, err
		}
		t, err := jsonInput(mem, v, in, raw, true)
		if err != nil {
			return nil, err
		}
		return map[string]*tensor.Tensor{in.Name: t}, nil
	}
	var named map[string]json.RawMessage
	if err := json.Unmarshal(raw, &named); err != nil {
		return nil, jsonError(err)
	}
	return namedInputs(mem, v, named, true)
}
