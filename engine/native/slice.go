package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Slice takes a strided sub-tensor: starts, ends and axes are attributes
// before opset 10; from 10 they are inputs (int32 or int64), with optional
// steps, which may be negative.

func init() { register("Slice", buildSlice) }

func buildSlice(b *buildCtx) (kernel, error) {
	var attrStarts, attrEnds, attrAxes []int64
	if b.opset < 10 {
		var err error
		if attrStarts, err = b.intsAttr("starts"); err != nil {
			return nil, err
		}
		if attrEnds, err = b.intsAttr("ends"); err != nil {
			return nil, err
		}
		if attrAxes, err = b.intsAttr("axes"); err != nil {
			return nil, err
		}
		if attrStarts == nil || attrEnds == nil {
			return nil, b.errorf("attributes starts and ends are required")
		}
	} else if !b.hasInput(1) || !b.hasInput(2) {
		return nil, b.errorf("Slice needs starts and ends inputs")
	}
	fromInputs := b.opset >= 10
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		starts, ends, axes := attrStarts, attrEnds, attrAxes
		var steps []int64
		if fromInputs {
			lists := make([][]int64, 4)
			for i := range lists {
				if i+1 < len(in) && in[i+1] != nil {
					v, err := int64sOf(in[i+1])
					if err != nil {
						return fmt.Errorf("Slice input %d: %w", i+1, err)
					}
					lists[i] = v
				}
			}
			starts, ends, axes, steps = lists[0], lists[1], lists[2], lists[3]
		}
		x := in[0]
		// Small ranks lay out on the stack (alloc keeps no shape).
		var buf [2][8]int
		base, shape, strides, err := sliceLayoutTo(buf[0][:0], buf[1][:0], x.Shape(), starts, ends, axes, steps)
		if err != nil {
			return err
		}
		y := rc.alloc(x.DType(), shape)
		copyStrided(rc, y, x, base, strides)
		out[0] = y
		return nil
	}), nil
}

// sliceLayout resolves Slice's parameters against an input shape into the
// output shape, the input offset of its first element and the input
// strides per output axis.
func sliceLayout(in []int, starts, ends, axes, steps []int64) (base int, shape, strides []int, err error) {
	return sliceLayoutTo(nil, nil, in, starts, ends, axes, steps)
}

// sliceLayoutTo is sliceLayout appending the output shape and strides to
// shape and strides (empty slices, of arrays on the caller's stack when
// the rank is small).
func sliceLayoutTo(shape, strides, in []int, starts, ends, axes, steps []int64) (base int, _, _ []int, err error) {
	if len(starts) != len(ends) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return 0, nil, nil, fmt.Errorf("Slice starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	shape = append(shape, in...)
	strides = append(strides, in...)
	for i, st := len(in)-1, 1; i >= 0; i-- {
		strides[i] = st
		st *= in[i]
	}
	for i := range starts {
		a := int64(i)
		if axes != nil {
			a = axes[i]
		}
		axis, ok := normAxis(a, len(in))
		if !ok || axes != nil && repeatsAxis(axes[:i], axis, len(in)) {
			return 0, nil, nil, fmt.Errorf("Slice axes %v invalid for rank %d", axes, len(in))
		}
		inStride := strides[axis]
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return 0, nil, nil, fmt.Errorf("Slice step is 0")
		}
		dim := int64(in[axis])
		start, end := sliceBound(starts[i], dim), sliceBound(ends[i], dim)
		var count int64
		if step > 0 {
			start, end = min(max(start, 0), dim), min(max(end, 0), dim)
			count = max(0, (end-start+step-1)/step)
		} else {
			start, end = min(max(start, 0), dim-1), min(max(end, -1), dim-1)
			count = max(0, (start-end-step-1)/(-step))
		}
		shape[axis] = int(count)
		strides[axis] = int(step) * inStride
		if count > 0 {
			base += int(start) * inStride
		}
	}
	return base, shape, strides, nil
}

// repeatsAxis reports whether one of axes resolves to axis.
func repeatsAxis(axes []int64, axis, rank int) bool {
	for _, a := range axes {
		if b, _ := normAxis(a, rank); b == axis {
			return true
		}
	}
	return false
}

// sliceBound resolves a negative start or end against the dimension (it
// cannot overflow: dim >= 0); the caller clamps the result.
func sliceBound(v, dim int64) int64 {
	if v < 0 {
		return v + dim
	}
	return v
}

// int64sOf returns an int32 or int64 tensor's values as int64.
func int64sOf(t *tensor.Tensor) ([]int64, error) {
	switch d := t.Data().(type) {
	case []int64:
		return d, nil
	case []int32:
		s := make([]int64, len(d))
		for i, v := range d {
			s[i] = int64(v)
		}
		return s, nil
	}
	return nil, fmt.Errorf("expected int32 or int64 values, got %v", t.DType())
}
