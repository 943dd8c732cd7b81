package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// OneHot, Compress, Hardmax and ReverseSequence.

func init() {
	registerSince("OneHot", 9, buildOneHot)
	registerSince("Compress", 9, buildCompress)
	register("Hardmax", buildHardmax)
	registerSince("ReverseSequence", 10, buildReverseSequence)
}

func buildOneHot(b *buildCtx) (kernel, error) {
	axis, err := b.intAttr("axis", -1)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		indices, depthT, values := in[0], in[1], in[2]
		depthF, err := scalarFloat(depthT)
		if err != nil {
			return fmt.Errorf("OneHot depth: %w", err)
		}
		depth := int(depthF)
		if depth < 1 || depthF > 1<<24 {
			return fmt.Errorf("OneHot depth %v is invalid", depthF)
		}
		if values.Len() != 2 {
			return fmt.Errorf("OneHot values must hold [off, on], got shape %v", values.Shape())
		}
		is := indices.Shape()
		a, ok := normAxis(axis, len(is)+1)
		if !ok {
			return fmt.Errorf("OneHot axis %d out of range for rank %d", axis, len(is)+1)
		}
		idx, err := toFloat64s(indices)
		if err != nil {
			return fmt.Errorf("OneHot indices: %w", err)
		}
		shape := append(append(append([]int(nil), is[:a]...), depth), is[a:]...)
		y := rc.alloc(values.DType(), shape)
		outer, inner := tensor.NumElements(is[:a]), tensor.NumElements(is[a:])
		// Fill with off, then set on where the index matches.
		pick := make([]int, y.Len())
		for o := range outer {
			for i := range inner {
				v := int(idx[o*inner+i])
				if v < 0 {
					v += depth
				}
				for d := range depth {
					p := 0
					if d == v {
						p = 1
					}
					pick[(o*depth+d)*inner+i] = p
				}
			}
		}
		take(y, values, pick)
		out[0] = y
		return nil
	}), nil
}

func buildCompress(b *buildCtx) (kernel, error) {
	hasAxis := b.node.Has("axis")
	axis, err := b.intAttr("axis", 0)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x, cond := in[0], in[1]
		if cond.DType() != tensor.Bool || cond.Rank() != 1 {
			return fmt.Errorf("Compress condition must be a 1-D bool tensor, got %v", cond)
		}
		c := tensor.Data[bool](cond)
		xs := x.Shape()
		if !hasAxis {
			xs = []int{x.Len()}
		}
		a, ok := normAxis(axis, len(xs))
		if !ok {
			return fmt.Errorf("Compress axis %d out of range for shape %v", axis, x.Shape())
		}
		if len(c) > xs[a] {
			return fmt.Errorf("Compress condition has %d values for a dimension of %d", len(c), xs[a])
		}
		var keep []int
		for i, v := range c {
			if v {
				keep = append(keep, i)
			}
		}
		outer, dim, inner := tensor.NumElements(xs[:a]), xs[a], tensor.NumElements(xs[a+1:])
		shape := append([]int(nil), xs...)
		shape[a] = len(keep)
		y := rc.alloc(x.DType(), shape)
		offs := make([]int, 0, outer*len(keep))
		for o := range outer {
			for _, k := range keep {
				offs = append(offs, (o*dim+k)*inner)
			}
		}
		takeBlocks(y, x, offs, inner)
		out[0] = y
		return nil
	}), nil
}

func buildHardmax(b *buildCtx) (kernel, error) {
	def := int64(-1)
	if b.opset < 13 {
		def = 1
	}
	axis, err := b.intAttr("axis", def)
	if err != nil {
		return nil, err
	}
	flattened := b.opset < 13
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		a, ok := normAxis(axis, len(xs))
		if !ok {
			return fmt.Errorf("Hardmax axis %d out of range for shape %v", axis, xs)
		}
		outer, n, inner := tensor.NumElements(xs[:a]), xs[a], tensor.NumElements(xs[a+1:])
		if flattened {
			n, inner = n*inner, 1
		}
		vals, err := toFloat64s(x)
		if err != nil {
			return fmt.Errorf("Hardmax: %w", err)
		}
		res := make([]float64, len(vals))
		for o := range outer {
			for i := range inner {
				best, arg := math.Inf(-1), -1
				for j := range n {
					if v := vals[(o*n+j)*inner+i]; v > best || arg < 0 {
						best, arg = v, j
					}
				}
				if arg >= 0 {
					res[(o*n+arg)*inner+i] = 1
				}
			}
		}
		y := rc.alloc(x.DType(), xs)
		castSlice(y.Data(), res)
		out[0] = y
		return nil
	}), nil
}

func buildReverseSequence(b *buildCtx) (kernel, error) {
	timeAxis, err := b.intAttr("time_axis", 0)
	if err != nil {
		return nil, err
	}
	batchAxis, err := b.intAttr("batch_axis", 1)
	if err != nil {
		return nil, err
	}
	if !(timeAxis == 0 && batchAxis == 1 || timeAxis == 1 && batchAxis == 0) {
		return nil, b.errorf("time_axis %d and batch_axis %d must be 0 and 1", timeAxis, batchAxis)
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		lens, err := intsOf(in[1])
		if err != nil {
			return fmt.Errorf("ReverseSequence sequence_lens: %w", err)
		}
		xs := x.Shape()
		if len(xs) < 2 {
			return fmt.Errorf("ReverseSequence input must have rank at least 2, got %v", xs)
		}
		steps, batch := xs[timeAxis], xs[batchAxis]
		if len(lens) != batch {
			return fmt.Errorf("ReverseSequence has %d lengths for a batch of %d", len(lens), batch)
		}
		inner := tensor.NumElements(xs[2:])
		offs := make([]int, 0, steps*batch)
		pos := func(t, b int) int {
			if timeAxis == 0 {
				return (t*batch + b) * inner
			}
			return (b*steps + t) * inner
		}
		for i := range steps * batch {
			var t, bi int
			if timeAxis == 0 {
				t, bi = i/batch, i%batch
			} else {
				bi, t = i/steps, i%steps
			}
			l := lens[bi]
			if l < 0 || l > steps {
				return fmt.Errorf("ReverseSequence length %d out of range [0, %d]", l, steps)
			}
			src := t
			if t < l {
				src = l - 1 - t
			}
			offs = append(offs, pos(src, bi))
		}
		y := rc.alloc(x.DType(), xs)
		takeBlocks(y, x, offs, inner)
		out[0] = y
		return nil
	}), nil
}
