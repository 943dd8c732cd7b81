package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Cast converts between the numeric types, bool and float16. Float to
// integer truncates toward zero; non-zero converts to true.

func init() { register("Cast", buildCast) }

// onnxDTypes maps ONNX TensorProto data type codes to tensor types.
var onnxDTypes = map[int64]tensor.DType{
	1: tensor.Float32, 2: tensor.Uint8, 3: tensor.Int8, 4: tensor.Uint16, 5: tensor.Int16,
	6: tensor.Int32, 7: tensor.Int64, 8: tensor.String, 9: tensor.Bool, 10: tensor.Float16,
	11: tensor.Float64, 12: tensor.Uint32, 13: tensor.Uint64,
}

func buildCast(b *buildCtx) (kernel, error) {
	if !b.node.Has("to") {
		return nil, b.errorf("attribute to is required")
	}
	code, err := b.intAttr("to", 0)
	if err != nil {
		return nil, err
	}
	to, ok := onnxDTypes[code]
	if !ok || to == tensor.String {
		return nil, b.errorf("Cast to data type %d is not supported", code)
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		if x.DType() == to {
			out[0] = x
			return nil
		}
		if x.DType() == tensor.String {
			return fmt.Errorf("Cast from strings is not supported")
		}
		y := rc.alloc(to, x.Shape())
		src := x.Data()
		if x.DType() == tensor.Float16 {
			src = halfsToFloats(tensor.Data[uint16](x))
		}
		if to == tensor.Float16 {
			tmp := make([]float32, x.Len())
			castSlice(tmp, src)
			floatsToHalfs(tensor.Data[uint16](y), tmp)
		} else {
			castSlice(y.Data(), src)
		}
		out[0] = y
		return nil
	}), nil
}

// castSlice converts src into dst, two slices of the numeric types or bool
// of equal length.
func castSlice(dst, src any) {
	switch s := src.(type) {
	case []bool:
		b := make([]uint8, len(s))
		for i, v := range s {
			if v {
				b[i] = 1
			}
		}
		castFrom(dst, b)
	case []uint8:
		castFrom(dst, s)
	case []uint16:
		castFrom(dst, s)
	case []uint32:
		castFrom(dst, s)
	case []uint64:
		castFrom(dst, s)
	case []int8:
		castFrom(dst, s)
	case []int16:
		castFrom(dst, s)
	case []int32:
		castFrom(dst, s)
	case []int64:
		castFrom(dst, s)
	case []float32:
		castFrom(dst, s)
	case []float64:
		castFrom(dst, s)
	}
}

func castFrom[S numeric](dst any, src []S) {
	switch d := dst.(type) {
	case []bool:
		for i, v := range src {
			d[i] = v != 0
		}
	case []uint8:
		convert(d, src)
	case []uint16:
		convert(d, src)
	case []uint32:
		convert(d, src)
	case []uint64:
		convert(d, src)
	case []int8:
		convert(d, src)
	case []int16:
		convert(d, src)
	case []int32:
		convert(d, src)
	case []int64:
		convert(d, src)
	case []float32:
		convert(d, src)
	case []float64:
		convert(d, src)
	}
}

func convert[D, S numeric](dst []D, src []S) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = D(v)
	}
}
