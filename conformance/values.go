package conformance

import (
	"context"

	"github.com/inferd/inferd/onnx"
)

// ValueSession is an optional capability of an engine.Session: running a
// model whose inputs or outputs are ONNX values that are not tensors
// (sequences, maps, optionals), such as the sequence of maps an ONNX-ML
// ZipMap produces. Values of kind tensor are passed as such. Errors caused
// by the inputs wrap engine.ErrInvalidInput, as Run's do.
type ValueSession interface {
	RunValues(ctx context.Context, inputs map[string]*onnx.Value) (map[string]*onnx.Value, error)
}

// allTensors reports whether every value is a tensor.
func allTensors(vals []*onnx.Value) bool {
	for _, v := range vals {
		if v.Kind != onnx.KindTensor {
			return false
		}
	}
	return true
}

// kindName names a value kind for messages.
func kindName(k onnx.TypeKind) string {
	switch k {
	case onnx.KindTensor:
		return "tensor"
	case onnx.KindSequence:
		return "sequence"
	case onnx.KindMap:
		return "map"
	case onnx.KindOptional:
		return "optional"
	case onnx.KindSparseTensor:
		return "sparse tensor"
	}
	return "unknown"
}
