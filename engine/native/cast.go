package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Cast converts between the numeric types, bool, float16, bfloat16 and
// strings. Float to integer truncates toward zero; non-zero converts to
// true. bfloat16 values are held as float32 (as the decoder reads them):
// casting to BFLOAT16 truncates to its precision. CastLike (opset 15) casts
// to the type of its second input.

func init() {
	register("Cast", buildCast)
	registerSince("CastLike", 15, func(b *buildCtx) (kernel, error) {
		return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
			return castTo(rc, in[0], in[1].DType(), false, out)
		}), nil
	})
}

// bfloat16Code is the ONNX data type code of bfloat16.
const bfloat16Code = 16

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
	bf16 := code == bfloat16Code
	if bf16 {
		to, ok = tensor.Float32, true
	}
	if !ok {
		return nil, b.errorf("Cast to data type %d is not supported", code)
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		return castTo(rc, in[0], to, bf16, out)
	}), nil
}

// castTo casts x to type to (rounded to bfloat16 when bf16).
func castTo(rc *runCtx, x *tensor.Tensor, to tensor.DType, bf16 bool, out []*tensor.Tensor) error {
	switch {
	case bf16:
		y := rc.alloc(tensor.Float32, x.Shape())
		if x.DType() == tensor.String {
			return fmt.Errorf("Cast from strings to BFLOAT16 is not supported")
		}
		src := x.Data()
		if x.DType() == tensor.Float16 {
			src = halfsToFloats(tensor.Data[uint16](x))
		}
		yd := tensor.Data[float32](y)
		castSlice(yd, src)
		for i, v := range yd {
			yd[i] = roundBFloat16(v)
		}
		out[0] = y
		return nil
	case x.DType() == to:
		out[0] = x
		return nil
	case x.DType() == tensor.String:
		return castFromStrings(rc, x, to, out)
	case to == tensor.String:
		return castToStrings(x, out)
	}
	{
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
	}
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
