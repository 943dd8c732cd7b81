package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// The ONNX-ML domain (ai.onnx.ml): the operators scikit-learn models
// converted to ONNX use. One file per operator family, named ml_*.go.

// mlDomain is the ONNX-ML operator set domain.
const mlDomain = "ai.onnx.ml"

// Versions of ai.onnx.ml this engine implements.
const (
	minMLOpset = 1
	maxMLOpset = 3
)

// registerML adds an ONNX-ML operator that first appeared in version since.
func registerML(opType string, since int64, build builder) {
	registerDef(mlDomain, opType, opDef{minVersion: since, maxVersion: maxMLOpset, build: build})
}

// mlFloats returns an ML operator's input as float64 values with its shape
// seen as [N, C]: a 1-D input is one row. Integer and float inputs are
// accepted, as the ONNX-ML operators allow.
func mlFloats(op string, x *tensor.Tensor) (vals []float64, n, c int, err error) {
	switch x.Rank() {
	case 1:
		n, c = 1, x.Shape()[0]
	case 2:
		n, c = x.Shape()[0], x.Shape()[1]
	default:
		return nil, 0, 0, fmt.Errorf("%s input must be 1-D or 2-D, got shape %v", op, x.Shape())
	}
	switch x.DType() {
	case tensor.String, tensor.Bool, tensor.Float16:
		return nil, 0, 0, dtypeError(op, x.DType())
	}
	vals = make([]float64, x.Len())
	castSlice(vals, x.Data())
	return vals, n, c, nil
}

// floatsAttr returns a floats attribute, or nil when absent.
func (b *buildCtx) floatsAttr(name string) ([]float32, error) {
	a, err := b.attr(name, onnxAttrFloats)
	if a == nil || err != nil {
		return nil, err
	}
	return a.Floats, nil
}

// stringsAttr returns a strings attribute, or nil when absent.
func (b *buildCtx) stringsAttr(name string) ([]string, error) {
	a, err := b.attr(name, onnxAttrStrings)
	if a == nil || err != nil {
		return nil, err
	}
	return a.Strings, nil
}

// tensorAttr returns a tensor attribute, or nil when absent.
func (b *buildCtx) tensorAttr(name string) (*tensor.Tensor, error) {
	a, err := b.attr(name, onnxAttrTensor)
	if a == nil || err != nil {
		return nil, err
	}
	return a.Tensor, nil
}
