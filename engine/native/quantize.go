package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// Linear quantization: QuantizeLinear and DequantizeLinear (per tensor, or
// per axis from opset 13) and DynamicQuantizeLinear. Quantized values are
// uint8 or int8; rounding is half to even and results saturate.

func init() {
	registerSince("QuantizeLinear", 10, func(b *buildCtx) (kernel, error) { return buildQuantize(b, true) })
	registerSince("DequantizeLinear", 10, func(b *buildCtx) (kernel, error) { return buildQuantize(b, false) })
	registerSince("DynamicQuantizeLinear", 11, func(b *buildCtx) (kernel, error) { return kernelFunc(runDynamicQuantize), nil })
}

func buildQuantize(b *buildCtx, quantize bool) (kernel, error) {
	axis, err := b.intAttr("axis", 1)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x, scale := in[0], in[1]
		var zp *tensor.Tensor
		if len(in) > 2 {
			zp = in[2]
		}
		scales, err := toFloat64s(scale)
		if err != nil {
			return fmt.Errorf("scale: %w", err)
		}
		zps := make([]float64, len(scales))
		if zp != nil {
			if zps, err = toFloat64s(zp); err != nil || len(zps) != len(scales) {
				return fmt.Errorf("zero point must match scale of shape %v", scale.Shape())
			}
		}
		xs := x.Shape()
		inner, groups := x.Len(), 1
		if len(scales) > 1 {
			a, ok := normAxis(axis, len(xs))
			if !ok || xs[a] != len(scales) {
				return fmt.Errorf("%d scales do not match axis %d of shape %v", len(scales), axis, xs)
			}
			inner, groups = tensor.NumElements(xs[a+1:]), xs[a]
		}
		xv, err := toFloat64s(x)
		if err != nil {
			return err
		}
		res := make([]float64, len(xv))
		for i, v := range xv {
			c := 0
			if groups > 1 {
				c = (i / inner) % groups
			}
			if quantize {
				res[i] = math.RoundToEven(divide(v, scales[c], x.DType())) + zps[c]
			} else {
				res[i] = (v - zps[c]) * scales[c]
			}
		}
		var y *tensor.Tensor
		if quantize {
			dt := tensor.Uint8
			if zp != nil {
				dt = zp.DType()
			}
			y = rc.alloc(dt, xs)
			saturate(res, dt)
		} else {
			y = rc.alloc(scale.DType(), xs)
		}
		castSlice(y.Data(), res)
		out[0] = y
		return nil
	}), nil
}

// divide computes v/s in the precision of dt (float32 division for
// float32 inputs, as the reference implementation rounds it).
func divide(v, s float64, dt tensor.DType) float64 {
	if dt == tensor.Float32 {
		return float64(float32(v) / float32(s))
	}
	return v / s
}

// saturate clamps v to the range of the integer type dt.
func saturate(v []float64, dt tensor.DType) {
	lo, hi := 0.0, 255.0
	switch dt {
	case tensor.Int8:
		lo, hi = -128, 127
	case tensor.Int32:
		lo, hi = math.MinInt32, math.MaxInt32
	case tensor.Uint16:
		hi = math.MaxUint16
	case tensor.Int16:
		lo, hi = math.MinInt16, math.MaxInt16
	}
	for i, x := range v {
		v[i] = max(lo, min(hi, x))
	}
}

func runDynamicQuantize(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	xv, err := floatsOf(x)
	if err != nil {
		return fmt.Errorf("DynamicQuantizeLinear: %w", err)
	}
	lo, hi := 0.0, 0.0
	for _, v := range xv {
		lo, hi = min(lo, v), max(hi, v)
	}
	scale := float64(float32((hi - lo) / 255))
	zp := 0.0
	if scale != 0 {
		zp = max(0, min(255, math.RoundToEven(-divide(lo, scale, x.DType()))))
	}
	res := make([]float64, len(xv))
	for i, v := range xv {
		if scale != 0 {
			res[i] = math.RoundToEven(divide(v, scale, x.DType())) + zp
		}
	}
	saturate(res, tensor.Uint8)
	y := rc.alloc(tensor.Uint8, x.Shape())
	castSlice(y.Data(), res)
	out[0] = y
	if len(out) > 1 {
		out[1] = tensor.Scalar(float32(scale))
	}
	if len(out) > 2 {
		out[2] = tensor.Scalar(uint8(zp))
	}
	return nil
}
