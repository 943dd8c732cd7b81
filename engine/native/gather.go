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
		// Small ranks stay on the stack (alloc keeps no shape); the
		// indices are read in place.
		var sb [8]int
		dim := ds[a]
		if err := checkIndices(indices, dim); err != nil {
			return fmt.Errorf("Gather: %w", err)
		}
		shape := append(append(append(sb[:0], ds[:a]...), indices.Shape()...), ds[a+1:]...)
		y := rc.alloc(data.DType(), shape)
		outer, inner := tensor.NumElements(ds[:a]), tensor.NumElements(ds[a+1:])
		if idx, ok := indices.Data().([]int32); ok {
			gatherLoops32.run(y, data, gatherArgs[int32]{idx, outer, dim, inner})
		} else {
			gatherLoops64.run(y, data, gatherArgs[int64]{tensor.Data[int64](indices), outer, dim, inner})
		}
		out[0] = y
		return nil
	}), nil
}

// checkIndices checks that indices (int32 or int64) are in [-dim, dim).
func checkIndices(indices *tensor.Tensor, dim int) error {
	switch d := indices.Data().(type) {
	case []int64:
		return indicesIn(d, dim)
	case []int32:
		return indicesIn(d, dim)
	}
	return fmt.Errorf("indices must be int32 or int64, got %v", indices.DType())
}

func indicesIn[I int32 | int64](idx []I, dim int) error {
	for _, v := range idx {
		if int64(v) < int64(-dim) || int64(v) >= int64(dim) {
			return fmt.Errorf("index %d out of range [%d, %d)", v, -dim, dim)
		}
	}
	return nil
}

// gatherArgs are a Gather's indices (checked, negative counting from the
// end) and geometry: outer blocks of dim rows of inner elements.
type gatherArgs[I int32 | int64] struct {
	idx               []I
	outer, dim, inner int
}

var (
	gatherLoops32 = loopsOf[gatherArgs[int32]](gatherT, gatherT, gatherT, gatherT, gatherT)
	gatherLoops64 = loopsOf[gatherArgs[int64]](gatherT, gatherT, gatherT, gatherT, gatherT)
)

// gatherT gathers rows of src into dst.
func gatherT[T any, I int32 | int64](dst, src []T, g gatherArgs[I]) {
	idx, inner := g.idx, g.inner
	if inner == 0 {
		return
	}
	off := 0
	for o := range g.outer {
		for _, v := range idx {
			i := int(v)
			if i < 0 {
				i += g.dim
			}
			base := (o*g.dim + i) * inner
			off += copy(dst[off:off+inner], src[base:base+inner])
		}
	}
}
