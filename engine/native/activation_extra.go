package native

import (
	"math"

	"github.com/inferd/inferd/tensor"
)

// More activations: Elu, Selu, Celu, Softplus, Softsign, ThresholdedRelu,
// Shrink and PRelu (whose slope broadcasts; before opset 7 a 1-D slope
// applies per channel, axis 1, as PyTorch exported it).

func init() {
	registerUnary("Elu", func(b *buildCtx) (*unaryKernel, error) {
		alpha, err := b.floatAttr("alpha", 1)
		if err != nil {
			return nil, err
		}
		a := float64(alpha)
		return floatUnary(func(x float64) float64 {
			if x < 0 {
				return a * (math.Exp(x) - 1)
			}
			return x
		})(b)
	})
	registerUnary("Selu", func(b *buildCtx) (*unaryKernel, error) {
		alpha, err := b.floatAttr("alpha", 1.67326319217681884765625)
		if err != nil {
			return nil, err
		}
		gamma, err := b.floatAttr("gamma", 1.05070102214813232421875)
		if err != nil {
			return nil, err
		}
		a, g := float64(alpha), float64(gamma)
		return floatUnary(func(x float64) float64 {
			if x <= 0 {
				return g * (a*math.Exp(x) - a)
			}
			return g * x
		})(b)
	})
	registerUnarySince("Celu", 12, func(b *buildCtx) (*unaryKernel, error) {
		alpha, err := b.floatAttr("alpha", 1)
		if err != nil {
			return nil, err
		}
		a := float64(alpha)
		return floatUnary(func(x float64) float64 { return max(0, x) + min(0, a*(math.Exp(x/a)-1)) })(b)
	})
	registerUnary("Softplus", floatUnary(func(x float64) float64 {
		if x > 30 {
			return x + math.Log1p(math.Exp(-x))
		}
		return math.Log1p(math.Exp(x))
	}))
	registerUnary("Softsign", floatUnary(func(x float64) float64 { return x / (1 + math.Abs(x)) }))
	registerUnarySince("ThresholdedRelu", 10, buildThresholdedRelu)
	registerUnarySince("Shrink", 9, buildShrink)
	register("PRelu", buildPRelu)
}

func buildThresholdedRelu(b *buildCtx) (*unaryKernel, error) {
	alpha, err := b.floatAttr("alpha", 1)
	if err != nil {
		return nil, err
	}
	a := float64(alpha)
	return floatUnary(func(x float64) float64 {
		if x > a {
			return x
		}
		return 0
	})(b)
}

func buildShrink(b *buildCtx) (*unaryKernel, error) {
	bias, err := b.floatAttr("bias", 0)
	if err != nil {
		return nil, err
	}
	lambd, err := b.floatAttr("lambd", 0.5)
	if err != nil {
		return nil, err
	}
	bi, l := float64(bias), float64(lambd)
	return floatUnary(func(x float64) float64 {
		switch {
		case x < -l:
			return x + bi
		case x > l:
			return x - bi
		}
		return 0
	})(b)
}

func buildPRelu(b *buildCtx) (kernel, error) {
	if !b.hasInput(0) || !b.hasInput(1) {
		return nil, b.errorf("PRelu needs inputs X and slope")
	}
	loops := map[tensor.DType]binaryLoop{
		tensor.Float32: mapLoop(preluT[float32]),
		tensor.Float64: mapLoop(preluT[float64]),
		tensor.Int32:   mapLoop(preluT[int32]),
		tensor.Int64:   mapLoop(preluT[int64]),
	}
	k := &binaryKernel{name: "PRelu", loops: loops, legacyAxis: -1, geom: &bcastCache{}}
	if b.opset >= 7 {
		return k, nil
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x, slope := in[0], in[1]
		if slope.Rank() == 1 && slope.Len() > 1 && x.Rank() > 2 && x.Shape()[1] == slope.Len() {
			legacy := *k
			legacy.legacyAxis = 1
			return legacy.run(rc, in, out)
		}
		return k.run(rc, []*tensor.Tensor{x, slope}, out)
	}), nil
}

func preluT[T numeric](x, slope T) T {
	if x < 0 {
		return x * slope
	}
	return x
}
