package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opsets 12 and
// 13): per-element losses over [N, C, d1, ...] scores and [N, d1, ...]
// integer targets, with optional class weights, ignore_index and the
// reductions none, sum and mean (weighted by the targets' weights).
// SoftmaxCrossEntropyLoss applies LogSoftmax over C first and can return
// it as its second output.

func init() {
	registerSince("NegativeLogLikelihoodLoss", 12, func(b *buildCtx) (kernel, error) { return buildLoss(b, false) })
	registerSince("SoftmaxCrossEntropyLoss", 12, func(b *buildCtx) (kernel, error) { return buildLoss(b, true) })
}

type lossKernel struct {
	softmax   bool
	reduction string
	ignore    int64
	hasIgnore bool
}

func buildLoss(b *buildCtx, softmax bool) (kernel, error) {
	k := &lossKernel{softmax: softmax, hasIgnore: b.node.Has("ignore_index")}
	var err error
	if k.reduction, err = b.stringAttr("reduction", "mean"); err != nil {
		return nil, err
	}
	if k.reduction != "none" && k.reduction != "sum" && k.reduction != "mean" {
		return nil, b.errorf("attribute reduction is %q, want none, sum or mean", k.reduction)
	}
	if k.ignore, err = b.intAttr("ignore_index", 0); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *lossKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x, target := in[0], in[1]
	var weight *tensor.Tensor
	if len(in) > 2 {
		weight = in[2]
	}
	xs, ts := x.Shape(), target.Shape()
	if len(xs) < 2 || len(ts) != len(xs)-1 || ts[0] != xs[0] {
		return fmt.Errorf("scores of shape %v do not match targets of shape %v", xs, ts)
	}
	for i := 2; i < len(xs); i++ {
		if ts[i-1] != xs[i] {
			return fmt.Errorf("scores of shape %v do not match targets of shape %v", xs, ts)
		}
	}
	n, c, inner := xs[0], xs[1], tensor.NumElements(xs[2:])
	xv, err := floatsOf(x)
	if err != nil {
		return err
	}
	tv, err := int64sOf(target)
	if err != nil {
		return fmt.Errorf("targets: %w", err)
	}
	var wv []float64
	if weight != nil {
		if wv, err = floatsOf(weight); err != nil || len(wv) != c {
			return fmt.Errorf("weights must hold %d float values", c)
		}
	}
	if k.softmax {
		logSoftmaxAxis1(xv, n, c, inner)
	}
	losses := make([]float64, n*inner)
	var weightSum float64
	for b := range n {
		for i := range inner {
			t := tv[b*inner+i]
			if k.hasIgnore && t == k.ignore {
				continue
			}
			if t < 0 || t >= int64(c) {
				return fmt.Errorf("target %d out of range [0, %d)", t, c)
			}
			w := 1.0
			if wv != nil {
				w = wv[t]
			}
			losses[b*inner+i] = -xv[(b*c+int(t))*inner+i] * w
			weightSum += w
		}
	}
	var res *tensor.Tensor
	switch k.reduction {
	case "none":
		res = tensor.New(x.DType(), ts...)
		castSlice(res.Data(), losses)
	default:
		var sum float64
		for _, l := range losses {
			sum += l
		}
		if k.reduction == "mean" {
			sum /= weightSum // NaN when every target is ignored, as numpy
		}
		res = tensor.New(x.DType())
		castSlice(res.Data(), []float64{sum})
	}
	out[0] = res
	if k.softmax && len(out) > 1 {
		lp := tensor.New(x.DType(), xs...)
		castSlice(lp.Data(), xv)
		out[1] = lp
	}
	return nil
}

// logSoftmaxAxis1 replaces x, seen as [n, c, inner], by its LogSoftmax
// over c.
func logSoftmaxAxis1(x []float64, n, c, inner int) {
	for b := range n {
		for i := range inner {
			mx := math.Inf(-1)
			for j := range c {
				mx = max(mx, x[(b*c+j)*inner+i])
			}
			var s float64
			for j := range c {
				s += math.Exp(x[(b*c+j)*inner+i] - mx)
			}
			ls := math.Log(s) + mx
			for j := range c {
				x[(b*c+j)*inner+i] -= ls
			}
		}
	}
}
