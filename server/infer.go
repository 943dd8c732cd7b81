package server

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// Every protocol shares one inference path: an adapter decodes its
// request into a serving.Request, Version.Infer runs it (images, checks,
// shadow, batching, sessions, output selection and classification), and
// the adapter encodes the serving.Response.

// jsonInput decodes one input's JSON value (nested arrays). {"b64": ...}
// values (and, with strs, plain strings) given for the image input of a
// model with image preprocessing are encoded images, one per element.
// The seed route leaves strs off: there "NaN" is a float.
func jsonInput(res *reservation, v *serving.Version, in engine.TensorInfo, raw json.RawMessage, strs bool) (*tensor.Tensor, error) {
	asBytes := in.Name == v.Codec().ImageInput() && (strs && hasStringLeaf(raw) || hasB64Leaf(raw))
	dt := in.DType
	if asBytes {
		dt = tensor.String
	}
	leaves := jsonLeaves(raw)
	describe := func() string { return fmt.Sprintf("input %q (%d JSON values)", in.Name, leaves) }
	if err := res.chargeFor(jsonDecodeBytes(leaves, len(raw), dt), describe); err != nil {
		return nil, err
	}
	t, err := tfDecode(raw, in.DType, asBytes)
	if err != nil {
		return nil, fmt.Errorf("input %q (%v): %w", in.Name, in.DType, err)
	}
	return t, nil
}

// namedInputs decodes an object of input values by name (jsonInput), in
// name order: of several bad ones, the error names the same every time.
func namedInputs(res *reservation, v *serving.Version, raws map[string]json.RawMessage, strs bool) (map[string]*tensor.Tensor, error) {
	inputs := make(map[string]*tensor.Tensor, len(raws))
	for _, name := range sortedNames(raws) {
		in, err := inputInfo(v, name)
		if err != nil {
			return nil, err
		}
		if inputs[name], err = jsonInput(res, v, in, raws[name], strs); err != nil {
			return nil, err
		}
	}
	return inputs, nil
}

// sortedNames are m's keys in order; one key takes no sorting.
func sortedNames[V any](m map[string]V) []string {
	if len(m) == 1 {
		for k := range m {
			return []string{k}
		}
	}
	return slices.Sorted(maps.Keys(m))
}

// onlyInput is the input of a model that has one, for requests that do
// not name it.
func onlyInput(v *serving.Version) (engine.TensorInfo, error) {
	ins := v.Inputs()
	if len(ins) != 1 {
		return engine.TensorInfo{}, fmt.Errorf("%w: model %q has %d inputs %v; name them: give objects of named inputs", engine.ErrInvalidInput, v.ModelName, len(ins), engine.InfoNames(ins))
	}
	return ins[0], nil
}

// inputInfo is the declaration of the named input.
func inputInfo(v *serving.Version, name string) (engine.TensorInfo, error) {
	ins := v.Inputs()
	if i := engine.IndexInfo(ins, name); i >= 0 {
		return ins[i], nil
	}
	return engine.TensorInfo{}, fmt.Errorf("%w: unknown input %q (model inputs: %v)", engine.ErrInvalidInput, name, engine.InfoNames(ins))
}
