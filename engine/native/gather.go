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
		// Few indices and small ranks stay on the stack (alloc keeps no
		// shape).
		var ib [16]int
		var sb [8]int
		idx, err := intsTo(ib[:0], indices)
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
		shape := append(append(append(sb[:0], ds[:a]...), indices.Shape()...), ds[a+1:]...)
		y := rc.alloc(data.DType(), shape)
		outer, inner := tensor.NumElements(ds[:a]), tensor.NumElements(ds[a+1:])
		switch wordKind(y) {
		case 1:
			gatherT(wordsAs[uint8](y), wordsAs[uint8](data), idx, outer, dim, inner)
		case 2:
			gatherT(wordsAs[uint16](y), wordsAs[uint16](data), idx, outer, dim, inner)
		case 4:
			gatherT(wordsAs[uint32](y), wordsAs[uint32](data), idx, outer, dim, inner)
		case 8:
			gatherT(wordsAs[uint64](y), wordsAs[uint64](data), idx, outer, dim, inner)
		case 0:
			gatherT(wordsAs[string](y), wordsAs[string](data), idx, outer, dim, inner)
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
