package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// LayerNormalization (with its optional Mean and InvStdDev outputs),
// InstanceNormalization, LRN, MeanVarianceNormalization and
// BatchNormalization in training mode (batch statistics and updated
// running statistics, opset 14 onwards). Statistics accumulate in float64.

func init() {
	registerSince("LayerNormalization", 17, buildLayerNorm)
	register("InstanceNormalization", buildInstanceNorm)
	register("LRN", buildLRN)
	registerSince("MeanVarianceNormalization", 9, buildMVN)
}

func buildLayerNorm(b *buildCtx) (kernel, error) {
	axis, err := b.intAttr("axis", -1)
	if err != nil {
		return nil, err
	}
	eps, err := b.floatAttr("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	if !b.hasInput(1) {
		return nil, b.errorf("LayerNormalization needs a scale input")
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		a, ok := normAxis(axis, len(xs))
		if !ok {
			return fmt.Errorf("LayerNormalization axis %d out of range for shape %v", axis, xs)
		}
		if k, ok := layerNormLastAxis(x, a, in, len(out), eps); ok {
			return k.run(rc, in[:1], out)
		}
		rows, n := tensor.NumElements(xs[:a]), tensor.NumElements(xs[a:])
		xv, err := floatsOf(x)
		if err != nil {
			return fmt.Errorf("LayerNormalization: %w", err)
		}
		scale, err := broadcastParam(in[1], xs[a:], "scale")
		if err != nil {
			return err
		}
		var bias []float64
		if len(in) > 2 && in[2] != nil {
			if bias, err = broadcastParam(in[2], xs[a:], "bias"); err != nil {
				return err
			}
		}
		yv := make([]float64, len(xv))
		means, invs := make([]float64, rows), make([]float64, rows)
		parallelFor(rc.threads, rows, max(1, elemGrain/max(n, 1)), func(lo, hi int) {
			for r := lo; r < hi; r++ {
				row := xv[r*n : (r+1)*n]
				mean, variance := meanVar(row)
				inv := 1 / math.Sqrt(variance+float64(eps))
				means[r], invs[r] = mean, inv
				for i, v := range row {
					y := (v - mean) * inv * scale[i]
					if bias != nil {
						y += bias[i]
					}
					yv[r*n+i] = y
				}
			}
		})
		y := rc.alloc(x.DType(), xs)
		castSlice(y.Data(), yv)
		out[0] = y
		statShape := append([]int(nil), xs...)
		for i := a; i < len(statShape); i++ {
			statShape[i] = 1
		}
		for i, v := range [][]float64{means, invs} {
			if i+1 < len(out) {
				t := tensor.New(tensor.Float32, statShape...)
				castSlice(t.Data(), v)
				out[i+1] = t
			}
		}
		return nil
	}), nil
}

// layerNormLastAxis returns the float32 row kernel of the decomposed
// LayerNorm fusion for a LayerNormalization it can compute: float32 over
// the last axis, scale and bias float32 vectors of its length, and no
// Mean or InvStdDev output. Else false. (A value, so that a run
// allocates no kernel.)
func layerNormLastAxis(x *tensor.Tensor, axis int, in []*tensor.Tensor, outs int, eps float32) (layerNormKernel, bool) {
	n := x.Shape()[len(x.Shape())-1]
	if x.DType() != tensor.Float32 || axis != x.Rank()-1 || outs != 1 {
		return layerNormKernel{}, false
	}
	k := layerNormKernel{eps: eps}
	for i, p := range []*[]float32{&k.gamma, &k.beta} {
		if i+1 >= len(in) || in[i+1] == nil {
			continue
		}
		t := in[i+1]
		if t.DType() != tensor.Float32 || t.Rank() != 1 || t.Len() != n {
			return layerNormKernel{}, false
		}
		*p = tensor.Data[float32](t)
	}
	return k, k.gamma != nil
}

// broadcastParam returns a scale or bias tensor broadcast to shape.
func broadcastParam(t *tensor.Tensor, shape []int, what string) ([]float64, error) {
	if !canBroadcastTo(t.Shape(), shape) {
		return nil, fmt.Errorf("%s of shape %v does not broadcast to %v", what, t.Shape(), shape)
	}
	v, err := floatsOf(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	res := make([]float64, tensor.NumElements(shape))
	broadcastCopy(res, v, shape, t.Shape())
	return res, nil
}

// meanVar returns the mean and the (biased) variance of v.
func meanVar(v []float64) (mean, variance float64) {
	if len(v) == 0 {
		return 0, 0
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v))
}

func buildInstanceNorm(b *buildCtx) (kernel, error) {
	eps, err := b.floatAttr("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x, scale, bias := in[0], in[1], in[2]
		xs := x.Shape()
		if len(xs) < 2 || scale.Len() != xs[1] || bias.Len() != xs[1] {
			return fmt.Errorf("InstanceNormalization input %v does not match scale %v and bias %v", xs, scale.Shape(), bias.Shape())
		}
		xv, err := floatsOf(x)
		if err != nil {
			return fmt.Errorf("InstanceNormalization: %w", err)
		}
		sv, _ := floatsOf(scale)
		bv, _ := floatsOf(bias)
		inner := tensor.NumElements(xs[2:])
		yv := make([]float64, len(xv))
		for p := range xs[0] * xs[1] {
			c := p % xs[1]
			plane := xv[p*inner : (p+1)*inner]
			mean, variance := meanVar(plane)
			inv := 1 / math.Sqrt(variance+float64(eps))
			for i, v := range plane {
				yv[p*inner+i] = (v-mean)*inv*sv[c] + bv[c]
			}
		}
		y := rc.alloc(x.DType(), xs)
		castSlice(y.Data(), yv)
		out[0] = y
		return nil
	}), nil
}

func buildLRN(b *buildCtx) (kernel, error) {
	alpha, err := b.floatAttr("alpha", 1e-4)
	if err != nil {
		return nil, err
	}
	beta, err := b.floatAttr("beta", 0.75)
	if err != nil {
		return nil, err
	}
	bias, err := b.floatAttr("bias", 1)
	if err != nil {
		return nil, err
	}
	size, err := b.intAttr("size", 0)
	if err != nil {
		return nil, err
	}
	if size < 1 || size > 1<<16 {
		return nil, b.errorf("attribute size is %d, want a positive value", size)
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		if len(xs) < 3 {
			return fmt.Errorf("LRN input must have rank at least 3, got shape %v", xs)
		}
		xv, err := floatsOf(x)
		if err != nil {
			return fmt.Errorf("LRN: %w", err)
		}
		c, inner := xs[1], tensor.NumElements(xs[2:])
		lo, hi := int((size-1)/2), int(size-1)-int((size-1)/2)
		yv := make([]float64, len(xv))
		for n := range xs[0] {
			for ch := range c {
				for i := range inner {
					var sq float64
					for k := max(0, ch-lo); k <= min(c-1, ch+hi); k++ {
						v := xv[(n*c+k)*inner+i]
						sq += v * v
					}
					o := (n*c+ch)*inner + i
					yv[o] = xv[o] / math.Pow(float64(bias)+float64(alpha)/float64(size)*sq, float64(beta))
				}
			}
		}
		y := rc.alloc(x.DType(), xs)
		castSlice(y.Data(), yv)
		out[0] = y
		return nil
	}), nil
}

func buildMVN(b *buildCtx) (kernel, error) {
	axes, err := b.intsAttr("axes")
	if err != nil {
		return nil, err
	}
	if axes == nil {
		axes = []int64{0, 2, 3}
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		xv, err := floatsOf(x)
		if err != nil {
			return fmt.Errorf("MeanVarianceNormalization: %w", err)
		}
		reduced := make([]bool, len(xs))
		for _, a := range axes {
			i, ok := normAxis(a, len(xs))
			if !ok {
				return fmt.Errorf("MeanVarianceNormalization axis %d out of range for shape %v", a, xs)
			}
			reduced[i] = true
		}
		outStrides := make([]int, len(xs))
		acc, slots, count := 1, 1, 1
		for i := len(xs) - 1; i >= 0; i-- {
			if reduced[i] {
				count *= xs[i]
				continue
			}
			outStrides[i] = acc
			acc *= xs[i]
			slots *= xs[i]
		}
		sum, sq := make([]float64, slots), make([]float64, slots)
		forEachSlot(xs, outStrides, func(i, o int) { sum[o] += xv[i]; sq[o] += xv[i] * xv[i] })
		for o := range sum {
			sum[o] /= float64(count)
			sq[o] = math.Sqrt(sq[o]/float64(count)-sum[o]*sum[o]) + 1e-9
		}
		yv := make([]float64, len(xv))
		forEachSlot(xs, outStrides, func(i, o int) { yv[i] = (xv[i] - sum[o]) / sq[o] })
		y := rc.alloc(x.DType(), xs)
		castSlice(y.Data(), yv)
		out[0] = y
		return nil
	}), nil
}
