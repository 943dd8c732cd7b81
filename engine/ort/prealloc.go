//go:build ort

package ort

import (
	"fmt"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// onnxruntime_go converts the outputs ONNX Runtime allocates itself, and
// gets two kinds wrong: rank-0 tensors, which it refuses, and FP16 tensors,
// of which it copies half the bytes. Such outputs are preallocated instead,
// which needs their shape before the run: rank 0, or for FP16 the declared
// dimensions, fixed or named by a symbolic dimension that an input also has
// (typically the batch).

// preallocate returns the outputs to pass to the run: nil where ONNX Runtime
// allocates, a value where the output must be preallocated and its shape is
// known. dims maps the inputs' symbolic dimensions to this run's sizes.
func (s *session) preallocate(a *arena, dims map[string]int) ([]ortgo.Value, error) {
	out := make([]ortgo.Value, len(s.outputs))
	for i, p := range s.outputs {
		if !p.isTensor() || !p.typ.HasRank {
			continue
		}
		var v ortgo.Value
		var err error
		switch {
		case len(p.typ.Shape) == 0:
			v, err = scalarOutput(p.info.DType)
		case p.info.DType == tensor.Float16:
			shape, ok := resolve(p.typ.Shape, dims)
			if !ok {
				continue
			}
			v, err = float16Output(shape)
		}
		if err != nil {
			return nil, fmt.Errorf("ort: output %q: %w", p.info.Name, err)
		}
		if v != nil {
			out[i] = a.add(v)
		}
	}
	return out, nil
}

// inputDims maps the symbolic dimensions of the inputs to the sizes of
// this run's tensors.
func (s *session) inputDims(inputs map[string]*tensor.Tensor) map[string]int {
	if !s.needDims {
		return nil
	}
	dims := map[string]int{}
	for _, p := range s.inputs {
		t := inputs[p.info.Name]
		if t == nil || len(p.typ.Shape) != t.Rank() {
			continue
		}
		for j, d := range p.typ.Shape {
			if d.Param != "" {
				dims[d.Param] = t.Shape()[j]
			}
		}
	}
	return dims
}

// resolve returns the concrete shape of declared dimensions, if each is
// fixed or a known symbolic dimension.
func resolve(decl []onnx.Dim, dims map[string]int) (ortgo.Shape, bool) {
	shape := make(ortgo.Shape, len(decl))
	for i, d := range decl {
		switch n, ok := dims[d.Param]; {
		case d.Value >= 0:
			shape[i] = d.Value
		case d.Param != "" && ok:
			shape[i] = int64(n)
		default:
			return nil, false
		}
	}
	return shape, true
}

// float16Output allocates an FP16 output tensor.
func float16Output(shape ortgo.Shape) (ortgo.Value, error) {
	n := shape.FlattenedSize()
	if n <= 0 {
		return nil, fmt.Errorf("onnxruntime_go cannot return an empty FP16 tensor (shape %v)", shape)
	}
	return ortgo.NewCustomDataTensor(shape, make([]byte, 2*n), ortgo.TensorElementDataTypeFloat16)
}

// needsDims reports whether some output is FP16 with a symbolic dimension,
// so that runs must look at the inputs' sizes.
func needsDims(outs []port) bool {
	for _, p := range outs {
		if p.isTensor() && p.info.DType == tensor.Float16 {
			for _, d := range p.typ.Shape {
				if d.Param != "" {
					return true
				}
			}
		}
	}
	return false
}
