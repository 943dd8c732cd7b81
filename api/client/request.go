package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/internal/strictjson"
	"github.com/inferd/inferd/tensor"
)

// ParseRequestJSON reads an inference request from JSON, in either form:
// the Open Inference Protocol's ({"inputs": [{"name", "shape",
// "datatype", "data"}], "outputs": [...]}, with JSON data only), or the
// seed routes' ({"inputs": {"<input name>": <nested array>}}), whose
// datatypes come from the model's metadata md.
func ParseRequestJSON(data []byte, md *v2.ModelMetadata) (*InferRequest, error) {
	var probe struct {
		ID         string             `json:"id"`
		Parameters v2.Parameters      `json:"parameters"`
		Inputs     json.RawMessage    `json:"inputs"`
		Outputs    []v2.RequestOutput `json:"outputs"`
	}
	if err := strictjson.Decode(bytes.NewReader(data), &probe, false); err != nil {
		return nil, fmt.Errorf("not an inference request: %w", err)
	}
	req := &InferRequest{ID: probe.ID}
	if b, err := probe.Parameters.Bool(v2.ParamBinaryDataOutput); err != nil {
		return nil, err
	} else if b {
		req.Binary = true
	}
	inputs, err := parseInputs(bytes.TrimSpace(probe.Inputs), md)
	if err != nil {
		return nil, err
	}
	req.Inputs = inputs
	if len(req.Inputs) == 0 {
		return nil, fmt.Errorf(`"inputs" is empty`)
	}
	for _, o := range probe.Outputs {
		k, _, err := o.Parameters.Int(v2.ParamClassification)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", o.Name, err)
		}
		req.Outputs = append(req.Outputs, RequestedOutput{Name: o.Name, Classification: int(k)})
	}
	return req, nil
}

// parseInputs reads a request's "inputs" in either form: a list of v2
// tensors, or an object of nested arrays by input name.
func parseInputs(in json.RawMessage, md *v2.ModelMetadata) ([]Input, error) {
	switch {
	case len(in) > 0 && in[0] == '[':
		return listedInputs(in)
	case len(in) > 0 && in[0] == '{':
		return namedInputs(in, md)
	}
	return nil, fmt.Errorf(`no "inputs": want a list of tensors or an object of named nested arrays`)
}

// listedInputs reads the Open Inference Protocol's list of tensors (JSON
// data only).
func listedInputs(in json.RawMessage) ([]Input, error) {
	var ins []v2.RequestInput
	if err := json.Unmarshal(in, &ins); err != nil {
		return nil, fmt.Errorf("inputs: %w", err)
	}
	var inputs []Input
	for i := range ins {
		t, err := ins[i].Tensor(nil)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, Input{Name: ins[i].Name, Tensor: t})
	}
	return inputs, nil
}

// namedInputs reads the seed routes' object of nested arrays by input
// name, in the order of the model's inputs, with their datatypes from its
// metadata md. Of the names the model has no input of, the error names the
// first alphabetically.
func namedInputs(in json.RawMessage, md *v2.ModelMetadata) ([]Input, error) {
	var named map[string]json.RawMessage
	if err := json.Unmarshal(in, &named); err != nil {
		return nil, fmt.Errorf("inputs: %w", err)
	}
	var inputs []Input
	for _, meta := range md.Inputs {
		raw, ok := named[meta.Name]
		if !ok {
			continue // the server names what is missing
		}
		dt, err := v2.ParseDatatype(meta.Datatype)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", meta.Name, err)
		}
		t, err := tensor.FromJSON(raw, dt)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", meta.Name, err)
		}
		inputs = append(inputs, Input{Name: meta.Name, Tensor: t})
		delete(named, meta.Name)
	}
	if len(named) > 0 { // the first unknown name, alphabetically: the same error every time
		return nil, fmt.Errorf("model %q has no input %q", md.Name, slices.Min(slices.Collect(maps.Keys(named))))
	}
	return inputs, nil
}
