package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// Pow raises a float or integer base to an exponent of any numeric type
// (from opset 12; before, both are the same float type), broadcasting.
// Common constant exponents (1, 2, 3, 0.5) avoid math.Pow.

func init() { register("Pow", buildPow) }

func buildPow(b *buildCtx) (kernel, error) {
	if !b.hasInput(0) || !b.hasInput(1) {
		return nil, b.errorf("Pow needs 2 inputs")
	}
	return kernelFunc(runPow), nil
}

func runPow(rc *runCtx, in, out []*tensor.Tensor) error {
	x, e := in[0], in[1]
	shape, err := broadcastShapes(x.Shape(), e.Shape())
	if err != nil {
		return fmt.Errorf("Pow: %w", err)
	}
	y := rc.alloc(x.DType(), shape)
	if x.DType() == tensor.Float32 && e.Len() == 1 && tensor.NumElements(shape) == x.Len() {
		if v, err := scalarFloat(e); err == nil {
			if f := powFast(v); f != nil {
				xd, yd := tensor.Data[float32](x), tensor.Data[float32](y)
				parallelFor(rc.threads, len(yd), elemGrain, func(lo, hi int) { f(yd[lo:hi], xd[lo:hi]) })
				out[0] = y
				return nil
			}
		}
	}
	xf, err := toFloat64s(x)
	if err != nil {
		return fmt.Errorf("Pow base: %w", err)
	}
	ef, err := toFloat64s(e)
	if err != nil {
		return fmt.Errorf("Pow exponent: %w", err)
	}
	res := make([]float64, tensor.NumElements(shape))
	powFuncs := binaryFuncs[float64]{
		vv: func(d, x, y []float64) {
			for i := range d {
				d[i] = math.Pow(x[i], y[i])
			}
		},
		vs: func(d, x []float64, y float64) {
			for i := range d {
				d[i] = math.Pow(x[i], y)
			}
		},
		sv: func(d []float64, x float64, y []float64) {
			for i := range d {
				d[i] = math.Pow(x, y[i])
			}
		},
	}
	broadcastBinary(rc, powFuncs, res, xf, ef, shape, x.Shape(), e.Shape())
	switch d := y.Data().(type) {
	case []float32:
		convert(d, res)
	case []float64:
		copy(d, res)
	case []int32:
		convert(d, res)
	case []int64:
		convert(d, res)
	default:
		return dtypeError("Pow", x.DType())
	}
	out[0] = y
	return nil
}

// powFast returns a float32 loop for exponents with a cheap exact form.
func powFast(e float64) func(d, x []float32) {
	switch e {
	case 1:
		return func(d, x []float32) { copy(d, x) }
	case 2:
		return func(d, x []float32) {
			x = x[:len(d)]
			for i := range d {
				d[i] = x[i] * x[i]
			}
		}
	case 3:
		return func(d, x []float32) {
			x = x[:len(d)]
			for i := range d {
				d[i] = x[i] * x[i] * x[i]
			}
		}
	case 0.5:
		return func(d, x []float32) {
			x = x[:len(d)]
			for i := range d {
				d[i] = float32(math.Sqrt(float64(x[i])))
			}
		}
	}
	return nil
}

// toFloat64s converts a numeric tensor's values to float64.
func toFloat64s(t *tensor.Tensor) ([]float64, error) {
	if t.DType() == tensor.String || t.DType() == tensor.Bool || t.DType() == tensor.Float16 {
		return nil, fmt.Errorf("unsupported element type %v", t.DType())
	}
	f := make([]float64, t.Len())
	castSlice(f, t.Data())
	return f, nil
}
