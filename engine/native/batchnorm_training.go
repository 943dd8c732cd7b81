package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// batchNormTraining is BatchNormalization with training_mode=1 (opset 14
// onwards): Y normalised with the batch's own mean and (biased) variance
// per channel, and the running statistics updated with momentum as the
// optional outputs 1 and 2.
type batchNormTraining struct {
	eps, momentum float64
}

func (k *batchNormTraining) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	xs := x.Shape()
	if len(xs) < 2 {
		return fmt.Errorf("BatchNormalization needs an input of rank at least 2, got shape %v", xs)
	}
	c, inner := xs[1], tensor.NumElements(xs[2:])
	params := make([][]float64, 4)
	for i := range params {
		v, err := floatsOf(in[i+1])
		if err != nil || len(v) != c {
			return fmt.Errorf("BatchNormalization input %d must hold %d float values", i+1, c)
		}
		params[i] = v
	}
	xv, err := floatsOf(x)
	if err != nil {
		return fmt.Errorf("BatchNormalization: %w", err)
	}
	mean, variance := make([]float64, c), make([]float64, c)
	count := float64(xs[0] * inner)
	for n := range xs[0] {
		for ch := range c {
			for _, v := range xv[(n*c+ch)*inner : (n*c+ch+1)*inner] {
				mean[ch] += v
			}
		}
	}
	for ch := range mean {
		mean[ch] /= count
	}
	for n := range xs[0] {
		for ch := range c {
			for _, v := range xv[(n*c+ch)*inner : (n*c+ch+1)*inner] {
				variance[ch] += (v - mean[ch]) * (v - mean[ch])
			}
		}
	}
	yv := make([]float64, len(xv))
	for ch := range variance {
		variance[ch] /= count
	}
	for n := range xs[0] {
		for ch := range c {
			a := params[0][ch] / math.Sqrt(variance[ch]+k.eps)
			for i := range inner {
				o := (n*c+ch)*inner + i
				yv[o] = (xv[o]-mean[ch])*a + params[1][ch]
			}
		}
	}
	y := rc.alloc(x.DType(), xs)
	castSlice(y.Data(), yv)
	out[0] = y
	for i, stat := range [][]float64{mean, variance} {
		if i+1 >= len(out) {
			break
		}
		run := make([]float64, c)
		for ch := range run {
			run[ch] = params[2+i][ch]*k.momentum + stat[ch]*(1-k.momentum)
		}
		t := tensor.New(in[3+i].DType(), c)
		castSlice(t.Data(), run)
		out[i+1] = t
	}
	return nil
}
