package native

import (
	"math"

	"github.com/inferd/inferd/tensor"
)

// More elementwise math: Reciprocal, Floor, Ceil, Round (half to even),
// Sign, the trigonometric and hyperbolic functions and their inverses, and
// the predicates IsNaN, IsInf and Not, whose output is bool.

func init() {
	registerUnary("Reciprocal", floatUnary(func(x float64) float64 { return 1 / x }))
	registerUnary("Floor", floatUnary(math.Floor))
	registerUnary("Ceil", floatUnary(math.Ceil))
	registerUnarySince("Round", 11, floatUnary(math.RoundToEven))
	registerUnarySince("Sign", 9, func(b *buildCtx) (*unaryKernel, error) {
		return &unaryKernel{
			f32: signT[float32], f64: signT[float64], i8: signT[int8], i16: signT[int16], i32: signT[int32], i64: signT[int64],
			u8: signT[uint8], u16: signT[uint16], u32: signT[uint32], u64: signT[uint64],
		}, nil
	})
	for name, f := range map[string]func(float64) float64{
		"Cos": math.Cos, "Sin": math.Sin, "Tan": math.Tan,
		"Acos": math.Acos, "Asin": math.Asin, "Atan": math.Atan,
	} {
		registerUnary(name, floatUnary(f))
	}
	for name, f := range map[string]func(float64) float64{
		"Cosh": math.Cosh, "Sinh": math.Sinh, "Acosh": math.Acosh, "Asinh": math.Asinh, "Atanh": math.Atanh,
	} {
		registerUnarySince(name, 9, floatUnary(f))
	}
	registerSince("IsNaN", 9, func(b *buildCtx) (kernel, error) {
		return predicate("IsNaN", func(x float64) bool { return math.IsNaN(x) }), nil
	})
	registerSince("IsInf", 10, buildIsInf)
	register("Not", func(b *buildCtx) (kernel, error) {
		return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
			x := in[0]
			if x.DType() != tensor.Bool {
				return dtypeError("Not", x.DType())
			}
			y := rc.alloc(tensor.Bool, x.Shape())
			yd, xd := tensor.Data[bool](y), tensor.Data[bool](x)
			for i := range yd {
				yd[i] = !xd[i]
			}
			out[0] = y
			return nil
		}), nil
	})
}

func signT[T numeric](d, x []T) {
	x = x[:len(d)]
	for i := range d {
		switch v := x[i]; {
		case v > 0:
			d[i] = 1
		case v < 0:
			d[i] = 0
			d[i]-- // -1 without a conversion unsigned types reject
		case v == 0:
			d[i] = 0
		default: // NaN
			d[i] = v
		}
	}
}

func buildIsInf(b *buildCtx) (kernel, error) {
	neg, err := b.boolAttr("detect_negative", true)
	if err != nil {
		return nil, err
	}
	pos, err := b.boolAttr("detect_positive", true)
	if err != nil {
		return nil, err
	}
	return predicate("IsInf", func(x float64) bool { return neg && math.IsInf(x, -1) || pos && math.IsInf(x, 1) }), nil
}

// predicate is a float operator with a bool output.
func predicate(name string, f func(float64) bool) kernel {
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		y := rc.alloc(tensor.Bool, x.Shape())
		yd := tensor.Data[bool](y)
		switch xd := x.Data().(type) {
		case []float32:
			for i, v := range xd {
				yd[i] = f(float64(v))
			}
		case []float64:
			for i, v := range xd {
				yd[i] = f(v)
			}
		default:
			return dtypeError(name, x.DType())
		}
		out[0] = y
		return nil
	})
}
