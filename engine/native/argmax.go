package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// ArgMax and ArgMin: int64 indices of the extreme values along an axis,
// the first occurrence unless select_last_index (opset 12).

func init() {
	register("ArgMax", func(b *buildCtx) (kernel, error) { return buildArg(b, true) })
	register("ArgMin", func(b *buildCtx) (kernel, error) { return buildArg(b, false) })
}

func buildArg(b *buildCtx, isMax bool) (kernel, error) {
	axis, err := b.intAttr("axis", 0)
	if err != nil {
		return nil, err
	}
	keep, err := b.boolAttr("keepdims", true)
	if err != nil {
		return nil, err
	}
	last, err := b.boolAttr("select_last_index", false)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		a, ok := normAxis(axis, len(xs))
		if !ok {
			return fmt.Errorf("axis %d out of range for shape %v", axis, xs)
		}
		if xs[a] == 0 {
			return fmt.Errorf("cannot take the extreme of an empty axis")
		}
		vals, err := toFloat64s(x)
		if err != nil {
			return err
		}
		shape := append([]int(nil), xs...)
		if keep {
			shape[a] = 1
		} else {
			shape = append(shape[:a], shape[a+1:]...)
		}
		y := rc.alloc(tensor.Int64, shape)
		yd := tensor.Data[int64](y)
		outer, n, inner := tensor.NumElements(xs[:a]), xs[a], tensor.NumElements(xs[a+1:])
		for o := range outer {
			for i := range inner {
				best, arg := vals[o*n*inner+i], 0
				for j := 1; j < n; j++ {
					v := vals[(o*n+j)*inner+i]
					better := v > best || last && v == best
					if !isMax {
						better = v < best || last && v == best
					}
					if better {
						best, arg = v, j
					}
				}
				yd[o*inner+i] = int64(arg)
			}
		}
		out[0] = y
		return nil
	}), nil
}
