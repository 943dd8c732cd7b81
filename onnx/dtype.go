package onnx

import (
	"fmt"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
)

// bfloat16 is the ONNX data type code of bfloat16, which has no tensor
// DType: its values are widened to float32 on decoding.
const bfloat16 = int32(onnxpb.TensorProto_BFLOAT16)

// dtypes maps the ONNX TensorProto.DataType codes this package supports to
// tensor DTypes. BFLOAT16 maps to Float32 (values are converted).
var dtypes = map[int32]tensor.DType{
	int32(onnxpb.TensorProto_FLOAT):    tensor.Float32,
	int32(onnxpb.TensorProto_UINT8):    tensor.Uint8,
	int32(onnxpb.TensorProto_INT8):     tensor.Int8,
	int32(onnxpb.TensorProto_UINT16):   tensor.Uint16,
	int32(onnxpb.TensorProto_INT16):    tensor.Int16,
	int32(onnxpb.TensorProto_INT32):    tensor.Int32,
	int32(onnxpb.TensorProto_INT64):    tensor.Int64,
	int32(onnxpb.TensorProto_STRING):   tensor.String,
	int32(onnxpb.TensorProto_BOOL):     tensor.Bool,
	int32(onnxpb.TensorProto_FLOAT16):  tensor.Float16,
	int32(onnxpb.TensorProto_DOUBLE):   tensor.Float64,
	int32(onnxpb.TensorProto_UINT32):   tensor.Uint32,
	int32(onnxpb.TensorProto_UINT64):   tensor.Uint64,
	int32(onnxpb.TensorProto_BFLOAT16): tensor.Float32,
}

// dtypeName names an ONNX data type code for error messages.
func dtypeName(code int32) string {
	if name, ok := onnxpb.TensorProto_DataType_name[code]; ok {
		return name
	}
	return fmt.Sprintf("data type %d", code)
}

// toDType converts an ONNX data type code to a DType. UNDEFINED gives
// tensor.Invalid only when allowUndefined is set (types may leave the
// element type open; tensors may not).
func toDType(code int32, allowUndefined bool) (tensor.DType, error) {
	if code == int32(onnxpb.TensorProto_UNDEFINED) {
		if allowUndefined {
			return tensor.Invalid, nil
		}
		return tensor.Invalid, fmt.Errorf("data type is UNDEFINED")
	}
	if dt, ok := dtypes[code]; ok {
		return dt, nil
	}
	return tensor.Invalid, fmt.Errorf("unsupported data type %s", dtypeName(code))
}
