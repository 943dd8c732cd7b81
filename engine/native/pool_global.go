package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// GlobalAveragePool and GlobalMaxPool: reduce every spatial dimension to 1.

func init() {
	register("GlobalAveragePool", func(b *buildCtx) (kernel, error) { return globalPool{max: false}, nil })
	register("GlobalMaxPool", func(b *buildCtx) (kernel, error) { return globalPool{max: true}, nil })
}

type globalPool struct{ max bool }

func (k globalPool) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	xs := x.Shape()
	if len(xs) < 2 {
		return fmt.Errorf("global pooling needs an input of rank at least 2, got shape %v", xs)
	}
	shape := make([]int, len(xs))
	shape[0], shape[1] = xs[0], xs[1]
	for i := 2; i < len(shape); i++ {
		shape[i] = 1
	}
	planes, size := xs[0]*xs[1], tensor.NumElements(xs[2:])
	y := rc.alloc(x.DType(), shape)
	switch x.DType() {
	case tensor.Float32:
		globalPoolT(tensor.Data[float32](y), tensor.Data[float32](x), planes, size, k.max)
	case tensor.Float64:
		globalPoolT(tensor.Data[float64](y), tensor.Data[float64](x), planes, size, k.max)
	default:
		return dtypeError("global pooling", x.DType())
	}
	out[0] = y
	return nil
}

func globalPoolT[T float](y, x []T, planes, size int, isMax bool) {
	for c := range planes {
		plane := x[c*size : (c+1)*size]
		if isMax {
			best := T(math.Inf(-1))
			for _, v := range plane {
				if v > best || v != v {
					best = v
				}
			}
			y[c] = best
			continue
		}
		var sum float64
		for _, v := range plane {
			sum += float64(v)
		}
		y[c] = T(sum / float64(size))
	}
}
