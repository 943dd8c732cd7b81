//go:build ort

package ort

import (
	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/inferd/inferd/tensor"
)

// elementTypes maps ONNX Runtime's tensor element types to inferd's.
var elementTypes = map[ortgo.TensorElementDataType]tensor.DType{
	ortgo.TensorElementDataTypeBool:    tensor.Bool,
	ortgo.TensorElementDataTypeUint8:   tensor.Uint8,
	ortgo.TensorElementDataTypeUint16:  tensor.Uint16,
	ortgo.TensorElementDataTypeUint32:  tensor.Uint32,
	ortgo.TensorElementDataTypeUint64:  tensor.Uint64,
	ortgo.TensorElementDataTypeInt8:    tensor.Int8,
	ortgo.TensorElementDataTypeInt16:   tensor.Int16,
	ortgo.TensorElementDataTypeInt32:   tensor.Int32,
	ortgo.TensorElementDataTypeInt64:   tensor.Int64,
	ortgo.TensorElementDataTypeFloat16: tensor.Float16,
	ortgo.TensorElementDataTypeFloat:   tensor.Float32,
	ortgo.TensorElementDataTypeDouble:  tensor.Float64,
	ortgo.TensorElementDataTypeString:  tensor.String,
}

// fromElementType returns the DType of an ONNX Runtime element type; false
// for types inferd tensors cannot hold (bfloat16, float8, int4, complex).
func fromElementType(t ortgo.TensorElementDataType) (tensor.DType, bool) {
	dt, ok := elementTypes[t]
	return dt, ok
}
