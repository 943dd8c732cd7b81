package native

import (
	"math"

	"github.com/inferd/inferd/tensor"
)

// Activations: Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish and
// Clip.

func init() {
	registerUnary("Relu", func(b *buildCtx) (*unaryKernel, error) {
		return &unaryKernel{f32: reluT[float32], f64: reluT[float64], i32: reluT[int32], i64: reluT[int64], i8: reluT[int8], i16: reluT[int16]}, nil
	})
	registerUnary("LeakyRelu", func(b *buildCtx) (*unaryKernel, error) {
		alpha, err := b.floatAttr("alpha", 0.01)
		if err != nil {
			return nil, err
		}
		return &unaryKernel{f32: leakyRelu(alpha), f64: leakyRelu(float64(alpha))}, nil
	})
	registerUnary("Sigmoid", func(b *buildCtx) (*unaryKernel, error) {
		k, err := floatUnary(sigmoid)(b)
		if err == nil {
			k.f32 = sigmoidSlice
		}
		return k, err
	})
	registerUnary("Tanh", func(b *buildCtx) (*unaryKernel, error) {
		k, err := floatUnary(math.Tanh)(b)
		if err == nil {
			k.f32 = tanhSlice
		}
		return k, err
	})
	registerUnary("HardSigmoid", func(b *buildCtx) (*unaryKernel, error) {
		alpha, err := b.floatAttr("alpha", 0.2)
		if err != nil {
			return nil, err
		}
		beta, err := b.floatAttr("beta", 0.5)
		if err != nil {
			return nil, err
		}
		return &unaryKernel{f32: hardSigmoid(alpha, beta), f64: hardSigmoid(float64(alpha), float64(beta))}, nil
	})
	registerUnarySince("HardSwish", 14, func(b *buildCtx) (*unaryKernel, error) {
		return &unaryKernel{f32: hardSwish[float32], f64: hardSwish[float64]}, nil
	})
	register("Clip", buildClip)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func reluT[T numeric](d, x []T) {
	x = x[:len(d)]
	for i := range d {
		v := x[i]
		if v < 0 {
			v = 0
		}
		d[i] = v
	}
}

func leakyRelu[T float](alpha T) func(d, x []T) {
	return func(d, x []T) {
		x = x[:len(d)]
		for i := range d {
			v := x[i]
			if v < 0 {
				v *= alpha
			}
			d[i] = v
		}
	}
}

func hardSigmoid[T float](alpha, beta T) func(d, x []T) {
	return func(d, x []T) {
		x = x[:len(d)]
		for i := range d {
			d[i] = max(0, min(1, alpha*x[i]+beta))
		}
	}
}

func hardSwish[T float](d, x []T) {
	x = x[:len(d)]
	for i := range d {
		v := x[i]
		d[i] = v * max(0, min(1, v/6+0.5))
	}
}

// clipKernel bounds values to [lo, hi]. Before opset 11 the bounds are
// attributes; from 11 they are optional scalar inputs 1 and 2, read at run
// time unless constant.
type clipKernel struct {
	attrLo, attrHi float64
	fromInputs     bool
}

func buildClip(b *buildCtx) (kernel, error) {
	k := &clipKernel{attrLo: math.Inf(-1), attrHi: math.Inf(1)}
	if b.opset < 11 {
		lo, err := b.floatAttr("min", float32(math.Inf(-1)))
		if err != nil {
			return nil, err
		}
		hi, err := b.floatAttr("max", float32(math.Inf(1)))
		if err != nil {
			return nil, err
		}
		k.attrLo, k.attrHi = float64(lo), float64(hi)
		return k, nil
	}
	k.fromInputs = true
	for i := 1; i <= 2; i++ {
		if c := b.constInput(i); c != nil && c.Len() != 1 {
			return nil, b.errorf("Clip bound %d must be a scalar, got shape %v", i, c.Shape())
		}
	}
	return k, nil
}

func (k *clipKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	if k.fromInputs {
		if err := sameDType("Clip", in...); err != nil {
			return err
		}
	}
	bound := func(i int, def float64) float64 {
		if !k.fromInputs || i >= len(in) || in[i] == nil {
			return def
		}
		v, err := scalarFloat(in[i])
		if err != nil {
			throwf("Clip bound: %v", err)
		}
		return v
	}
	var lo, hi float64
	switch x.DType() {
	case tensor.Int8:
		lo, hi = bound(1, math.MinInt8), bound(2, math.MaxInt8)
	case tensor.Int16:
		lo, hi = bound(1, math.MinInt16), bound(2, math.MaxInt16)
	case tensor.Int32:
		lo, hi = bound(1, math.MinInt32), bound(2, math.MaxInt32)
	case tensor.Int64:
		lo, hi = bound(1, math.MinInt64), bound(2, math.MaxInt64)
	case tensor.Uint8:
		lo, hi = bound(1, 0), bound(2, math.MaxUint8)
	case tensor.Uint16:
		lo, hi = bound(1, 0), bound(2, math.MaxUint16)
	case tensor.Uint32:
		lo, hi = bound(1, 0), bound(2, math.MaxUint32)
	default:
		lo, hi = bound(1, k.attrLo), bound(2, k.attrHi)
	}
	u := &unaryKernel{name: "Clip"}
	switch x.DType() {
	case tensor.Float32:
		u.f32 = clipT(float32(lo), float32(hi))
	case tensor.Float64:
		u.f64 = clipT(lo, hi)
	case tensor.Int32:
		u.i32 = clipT(int32(lo), int32(hi))
	case tensor.Int64:
		u.i64 = clipInt64(in, lo, hi)
	case tensor.Int8:
		u.i8 = clipT(int8(lo), int8(hi))
	case tensor.Int16:
		u.i16 = clipT(int16(lo), int16(hi))
	case tensor.Uint8:
		u.u8 = clipT(uint8(lo), uint8(hi))
	case tensor.Uint16:
		u.u16 = clipT(uint16(lo), uint16(hi))
	case tensor.Uint32:
		u.u32 = clipT(uint32(lo), uint32(hi))
	}
	return u.run(rc, in[:1], out)
}

// clipInt64 reads int64 bounds exactly (float64 would round them).
func clipInt64(in []*tensor.Tensor, lo, hi float64) func(d, x []int64) {
	l, h := int64(math.MinInt64), int64(math.MaxInt64)
	if len(in) > 1 && in[1] != nil && in[1].Len() == 1 {
		l = tensor.Data[int64](in[1])[0]
	} else if lo > math.MinInt64 {
		l = int64(lo)
	}
	if len(in) > 2 && in[2] != nil && in[2].Len() == 1 {
		h = tensor.Data[int64](in[2])[0]
	} else if hi < math.MaxInt64 {
		h = int64(hi)
	}
	return clipT(l, h)
}

func clipT[T numeric](lo, hi T) func(d, x []T) {
	return func(d, x []T) {
		x = x[:len(d)]
		for i := range d {
			v := x[i]
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			d[i] = v
		}
	}
}
