package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Split cuts a tensor along an axis into the node's outputs: by the split
// sizes (an attribute before opset 13, an optional input from 13) or into
// equal parts.

func init() { register("Split", buildSplit) }

func buildSplit(b *buildCtx) (kernel, error) {
	axis, err := b.intAttr("axis", 0)
	if err != nil {
		return nil, err
	}
	var attrSplit []int64
	if b.opset < 13 {
		if attrSplit, err = b.intsAttr("split"); err != nil {
			return nil, err
		}
	}
	parts := len(b.node.Outputs)
	if parts == 0 {
		return nil, b.errorf("Split needs at least one output")
	}
	if attrSplit != nil && len(attrSplit) != parts {
		return nil, b.errorf("split has %d sizes for %d outputs", len(attrSplit), parts)
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		a, ok := normAxis(axis, x.Rank())
		if !ok {
			return fmt.Errorf("Split axis %d out of range for shape %v", axis, x.Shape())
		}
		dim := x.Shape()[a]
		sizes := attrSplit
		if len(in) > 1 && in[1] != nil {
			if sizes, err = int64sOf(in[1]); err != nil {
				return fmt.Errorf("Split sizes: %w", err)
			}
		}
		if sizes == nil {
			if dim%parts != 0 {
				return fmt.Errorf("Split cannot divide dimension %d of shape %v into %d equal parts", a, x.Shape(), parts)
			}
			sizes = make([]int64, parts)
			for i := range sizes {
				sizes[i] = int64(dim / parts)
			}
		}
		total := int64(0)
		for _, s := range sizes {
			if s < 0 {
				return fmt.Errorf("Split sizes %v are negative", sizes)
			}
			total += s
		}
		if len(sizes) != parts || total != int64(dim) {
			return fmt.Errorf("Split sizes %v do not divide dimension %d of shape %v into %d outputs", sizes, a, x.Shape(), parts)
		}
		outer, inner := tensor.NumElements(x.Shape()[:a]), tensor.NumElements(x.Shape()[a+1:])
		offset := 0
		for i, s := range sizes {
			shape := append([]int(nil), x.Shape()...)
			shape[a] = int(s)
			y := rc.alloc(x.DType(), shape)
			copyBlocks(y, x, outer, int(s)*inner, dim*inner, offset*inner)
			offset += int(s)
			out[i] = y
		}
		return nil
	}), nil
}

// copyBlocks copies outer blocks of n elements from src, block o starting
// at o·srcStride + srcOff, contiguously into dst.
func copyBlocks(dst, src *tensor.Tensor, outer, n, srcStride, srcOff int) {
	if n == 0 || outer == 0 {
		return
	}
	blockLoops.run(dst, src, blockGeom{outer, n, srcStride, srcOff})
}

// blockGeom is copyBlocks's geometry.
type blockGeom struct{ outer, n, srcStride, srcOff int }

var blockLoops = loopsOf[blockGeom](blocksT, blocksT, blocksT, blocksT, blocksT)

func blocksT[T any](dst, src []T, g blockGeom) {
	n, srcStride, srcOff := g.n, g.srcStride, g.srcOff
	for o := range g.outer {
		copy(dst[o*n:(o+1)*n], src[o*srcStride+srcOff:o*srcStride+srcOff+n])
	}
}
