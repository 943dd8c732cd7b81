package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Gather picks slices of data along axis by int32 or int64 indices
// (negative indices count from the end).

func init() { register("Gather", buildGather) }

func buildGather(b *buildCtx) (kernel, error) {
	axis, err := b.intAttr("axis", 0)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		data, indices := in[0], in[1]
		ds := data.Shape()
		a, ok := normAxis(axis, len(ds))
		if !ok {
			return fmt.Errorf("Gather axis %d out of range for data of shape %v", axis, ds)
		}
		idx, err := intsOf(indices)
		if err != nil {
			return fmt.Errorf("Gather indices: %w", err)
		}
		dim := ds[a]
		for i, v := range idx {
			if v < -dim || v >= dim {
				return fmt.Errorf("Gather index %d out of range [%d, %d)", v, -dim, dim)
			}
			if v < 0 {
				idx[i] = v + dim
			}
		}
		shape := append(append(append([]int(nil), ds[:a]...), indices.Shape()...), ds[a+1:]...)
		y := rc.alloc(data.DType(), shape)
		outer, inner := tensor.NumElements(ds[:a]), tensor.NumElements(ds[a+1:])
		switch d := words(y).(type) {
		case []uint8:
			gatherT(d, words(data).([]uint8), idx, outer, dim, inner)
		case []uint16:
			gatherT(d, words(data).([]uint16), idx, outer, dim, inner)
		case []uint32:
			gatherT(d, words(data).([]uint32), idx, outer, dim, inner)
		case []uint64:
			gatherT(d, words(data).([]uint64), idx, outer, dim, inner)
		case []string:
			gatherT(d, words(data).([]string), idx, outer, dim, inner)
		}
		out[0] = y
		return nil
	}), nil
}

func gatherT[T any](dst, src []T, idx []int, outer, dim, inner int) {
	if inner == 0 {
		return
	}
	off := 0
	for o := range outer {
		for _, i := range idx {
			base := (o*dim + i) * inner
			off += copy(dst[off:off+inner], src[base:base+inner])
		}
	}
}
