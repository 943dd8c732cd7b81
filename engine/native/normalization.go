package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// BatchNormalization in inference mode: Y = (X - mean) / sqrt(var + eps) ·
// scale + B per channel (axis 1), folded into one multiply-add per element
// whose coefficients are computed at load when the statistics are constant.
// Opsets 7-8 with spatial=0 normalise per activation (statistics of shape
// [C, D1, ...]).

func init() { register("BatchNormalization", buildBatchNorm) }

type batchNormKernel struct {
	eps float64
	// scale and shift are the folded coefficients when constant.
	scale, shift []float64
}

func buildBatchNorm(b *buildCtx) (kernel, error) {
	for i := range 5 {
		if !b.hasInput(i) {
			return nil, b.errorf("BatchNormalization needs 5 inputs (X, scale, B, mean, var)")
		}
	}
	eps, err := b.floatAttr("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	training, err := b.boolAttr("training_mode", false)
	if err != nil {
		return nil, err
	}
	if training {
		momentum, err := b.floatAttr("momentum", 0.9)
		if err != nil {
			return nil, err
		}
		return &batchNormTraining{eps: float64(eps), momentum: float64(momentum)}, nil
	}
	for i := 1; i < len(b.node.Outputs); i++ {
		if b.hasOutput(i) {
			return nil, b.errorf("training outputs (running mean and variance) are not supported")
		}
	}
	k := &batchNormKernel{eps: float64(eps)}
	stats := []*tensor.Tensor{b.constInput(1), b.constInput(2), b.constInput(3), b.constInput(4)}
	if stats[0] != nil && stats[1] != nil && stats[2] != nil && stats[3] != nil {
		if k.scale, k.shift, err = k.fold(stats); err != nil {
			return nil, b.errorf("%v", err)
		}
	}
	return k, nil
}

// fold computes scale/sqrt(var+eps) and B - mean·that.
func (k *batchNormKernel) fold(stats []*tensor.Tensor) (scale, shift []float64, err error) {
	n := stats[0].Len()
	vals := make([][]float64, 4)
	for i, t := range stats {
		if t.Len() != n {
			return nil, nil, fmt.Errorf("BatchNormalization statistics have shapes %v, %v, %v, %v", stats[0].Shape(), stats[1].Shape(), stats[2].Shape(), stats[3].Shape())
		}
		if vals[i], err = floatsOf(t); err != nil {
			return nil, nil, fmt.Errorf("BatchNormalization: %w", err)
		}
	}
	scale, shift = make([]float64, n), make([]float64, n)
	for c := range n {
		scale[c] = vals[0][c] / math.Sqrt(vals[3][c]+k.eps)
		shift[c] = vals[1][c] - vals[2][c]*scale[c]
	}
	return scale, shift, nil
}

func (k *batchNormKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	xs := x.Shape()
	if len(xs) < 2 {
		return fmt.Errorf("BatchNormalization needs an input of rank at least 2, got shape %v", xs)
	}
	scale, shift := k.scale, k.shift
	if scale == nil {
		var err error
		if scale, shift, err = k.fold(in[1:5]); err != nil {
			return err
		}
	}
	// Coefficients per channel, or per activation of a sample.
	inner := tensor.NumElements(xs[2:])
	switch len(scale) {
	case xs[1]:
	case xs[1] * inner:
		inner = 1
	default:
		return fmt.Errorf("BatchNormalization statistics of length %d do not match input of shape %v", len(scale), xs)
	}
	y := rc.alloc(x.DType(), xs)
	switch x.DType() {
	case tensor.Float32:
		affineT(rc, tensor.Data[float32](y), tensor.Data[float32](x), scale, shift, inner)
	case tensor.Float64:
		affineT(rc, tensor.Data[float64](y), tensor.Data[float64](x), scale, shift, inner)
	default:
		return dtypeError("BatchNormalization", x.DType())
	}
	out[0] = y
	return nil
}

// affineT computes y = x·scale[c] + shift[c] where c cycles over
// len(scale) groups of inner consecutive elements.
func affineT[T float](rc *runCtx, y, x []T, scale, shift []float64, inner int) {
	groups, grain := len(y)/max(inner, 1), max(1, elemGrain/max(inner, 1))
	if rc.threads <= 1 || groups <= grain {
		affineRange(y, x, scale, shift, inner, 0, groups) // no closure to allocate
		return
	}
	parallelFor(rc.threads, groups, grain, func(lo, hi int) { affineRange(y, x, scale, shift, inner, lo, hi) })
}

// affineRange is affineT over groups [lo, hi).
func affineRange[T float](y, x []T, scale, shift []float64, inner, lo, hi int) {
	for g := lo; g < hi; g++ {
		c := g % len(scale)
		a, b := T(scale[c]), T(shift[c])
		dst, src := y[g*inner:(g+1)*inner], x[g*inner:(g+1)*inner]
		for i := range dst {
			dst[i] = src[i]*a + b
		}
	}
}

// floatsOf returns a float tensor's values as float64.
func floatsOf(t *tensor.Tensor) ([]float64, error) {
	switch d := t.Data().(type) {
	case []float32:
		s := make([]float64, len(d))
		for i, v := range d {
			s[i] = float64(v)
		}
		return s, nil
	case []float64:
		return d, nil
	}
	return nil, fmt.Errorf("expected float values, got %v", t.DType())
}
