package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Concat joins tensors along an axis (negative from opset 11).

func init() { register("Concat", buildConcat) }

func buildConcat(b *buildCtx) (kernel, error) {
	if !b.node.Has("axis") {
		return nil, b.errorf("attribute axis is required")
	}
	axis, err := b.intAttr("axis", 0)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		// Few parts stay on the stack (also under the race detector, which
		// moves a growing nil slice to the heap).
		var pb [8]*tensor.Tensor
		parts := pb[:0]
		for _, t := range in {
			if t != nil {
				parts = append(parts, t)
			}
		}
		if len(parts) == 0 {
			return fmt.Errorf("Concat needs at least one input")
		}
		first := parts[0]
		a, ok := normAxis(axis, first.Rank())
		if !ok {
			return fmt.Errorf("Concat axis %d out of range for rank %d", axis, first.Rank())
		}
		var sb [8]int // small ranks stay on the stack (alloc keeps no shape)
		shape := append(sb[:0], first.Shape()...)
		shape[a] = 0
		for _, t := range parts {
			if t.DType() != first.DType() || t.Rank() != first.Rank() {
				return fmt.Errorf("Concat inputs %v and %v differ in type or rank", first, t)
			}
			for i, d := range t.Shape() {
				if i != a && d != shape[i] {
					return fmt.Errorf("Concat inputs of shapes %v and %v differ outside axis %d", first.Shape(), t.Shape(), a)
				}
			}
			shape[a] += t.Shape()[a]
		}
		y := rc.alloc(first.DType(), shape)
		outer, inner := tensor.NumElements(shape[:a]), tensor.NumElements(shape[a+1:])
		switch wordKind(y) {
		case 1:
			concatT(wordsAs[uint8](y), parts, outer, inner, a)
		case 2:
			concatT(wordsAs[uint16](y), parts, outer, inner, a)
		case 4:
			concatT(wordsAs[uint32](y), parts, outer, inner, a)
		case 8:
			concatT(wordsAs[uint64](y), parts, outer, inner, a)
		case 0:
			concatT(wordsAs[string](y), parts, outer, inner, a)
		}
		out[0] = y
		return nil
	}), nil
}

func concatT[T any](dst []T, parts []*tensor.Tensor, outer, inner, axis int) {
	// The parts' data, converted once.
	var buf [8][]T
	srcs := buf[:0]
	for _, t := range parts {
		srcs = append(srcs, wordsAs[T](t))
	}
	off := 0
	for o := range outer {
		for i, t := range parts {
			n := t.Shape()[axis] * inner
			if n == 0 {
				continue
			}
			off += copy(dst[off:off+n], srcs[i][o*n:(o+1)*n])
		}
	}
}
