package native

import (
	"fmt"
	"slices"

	"github.com/inferd/inferd/tensor"
)

// Operators that only change or report shapes: Shape, Reshape, Flatten,
// Squeeze, Unsqueeze. Their outputs share the input's data.

func init() {
	register("Shape", buildShape)
	register("Reshape", buildReshape)
	register("Flatten", buildFlatten)
	register("Squeeze", func(b *buildCtx) (kernel, error) { return buildAxesOp(b, true) })
	register("Unsqueeze", func(b *buildCtx) (kernel, error) { return buildAxesOp(b, false) })
}

// buildShape returns the input's shape as int64, sliced by start and end
// from opset 15.
func buildShape(b *buildCtx) (kernel, error) {
	start, err := b.intAttr("start", 0)
	if err != nil {
		return nil, err
	}
	end, err := b.intAttr("end", 1<<62)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		s := in[0].Shape()
		clamp := func(v int64) int {
			if v < 0 {
				v += int64(len(s))
			}
			return int(min(max(v, 0), int64(len(s))))
		}
		lo, hi := clamp(start), clamp(end)
		vals := make([]int64, max(0, hi-lo))
		for i := range vals {
			vals[i] = int64(s[lo+i])
		}
		out[0] = tensor.MustFromSlice(vals, len(vals))
		return nil
	}), nil
}

func buildReshape(b *buildCtx) (kernel, error) {
	if b.node.Has("shape") {
		return nil, b.errorf("Reshape with a shape attribute belongs to opset < 5")
	}
	if !b.hasInput(1) {
		return nil, b.errorf("Reshape needs a shape input")
	}
	allowZero, err := b.boolAttr("allowzero", false)
	if err != nil {
		return nil, err
	}
	if s := b.constInput(1); s != nil && (s.DType() != tensor.Int64 || s.Rank() != 1) {
		return nil, b.errorf("Reshape shape must be a 1-D int64 tensor, got %v", s)
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		if in[1].DType() != tensor.Int64 || in[1].Rank() != 1 {
			return fmt.Errorf("Reshape shape must be a 1-D int64 tensor, got %v", in[1])
		}
		var buf [8]int
		shape, err := reshapeTarget(buf[:0], in[0].Shape(), tensor.Data[int64](in[1]), allowZero)
		if err != nil {
			return err
		}
		out[0], err = rc.view(in[0], shape)
		return err
	}), nil
}

// reshapeTarget resolves a Reshape shape: 0 copies the input dimension
// (unless allowZero), -1 is inferred. The shape is appended to dst[:0].
func reshapeTarget(dst, in []int, spec []int64, allowZero bool) ([]int, error) {
	shape := append(dst[:0], make([]int, len(spec))...)
	infer := -1
	known := 1
	for i, d := range spec {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("Reshape shape %v has more than one -1", spec)
			}
			infer = i
			continue
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("Reshape shape %v copies dimension %d of input shape %v, which has none", spec, i, in)
			}
			shape[i] = in[i]
		case d < 0:
			return nil, fmt.Errorf("Reshape shape %v has a negative dimension", spec)
		default:
			shape[i] = int(d)
		}
		known *= shape[i]
	}
	total := tensor.NumElements(in)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", in, spec)
		}
		shape[infer] = total / known
	}
	if tensor.NumElements(shape) != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, spec)
	}
	return shape, nil
}

func buildFlatten(b *buildCtx) (kernel, error) {
	axis, err := b.intAttr("axis", 1)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		s := in[0].Shape()
		a := int(axis)
		if a < 0 {
			a += len(s)
		}
		if a < 0 || a > len(s) {
			return fmt.Errorf("Flatten axis %d out of range for shape %v", axis, s)
		}
		shape := [2]int{tensor.NumElements(s[:a]), tensor.NumElements(s[a:])}
		var err error
		out[0], err = rc.view(in[0], shape[:])
		return err
	}), nil
}

// buildAxesOp builds Squeeze (squeeze) or Unsqueeze: the axes are an
// attribute before opset 13 and an optional (Squeeze) or required
// (Unsqueeze) int64 input from 13.
func buildAxesOp(b *buildCtx, squeeze bool) (kernel, error) {
	var attrAxes []int64
	if b.opset < 13 {
		var err error
		if attrAxes, err = b.intsAttr("axes"); err != nil {
			return nil, err
		}
		if attrAxes == nil && !squeeze {
			return nil, b.errorf("Unsqueeze needs the axes attribute")
		}
	} else if !squeeze && !b.hasInput(1) {
		return nil, b.errorf("Unsqueeze needs an axes input")
	}
	fromInput := b.opset >= 13
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		axes := attrAxes
		if fromInput && len(in) > 1 && in[1] != nil {
			if in[1].DType() != tensor.Int64 {
				return fmt.Errorf("axes must be int64, got %v", in[1].DType())
			}
			axes = tensor.Data[int64](in[1])
		}
		var shape []int
		var err error
		if squeeze {
			var sb [8]int // view keeps no shape
			shape, err = squeezeShapeTo(sb[:0], in[0].Shape(), axes)
		} else {
			shape, err = unsqueezeShape(in[0].Shape(), axes)
		}
		if err != nil {
			return err
		}
		out[0], err = rc.view(in[0], shape)
		return err
	}), nil
}

func squeezeShape(in []int, axes []int64) ([]int, error) {
	return squeezeShapeTo(nil, in, axes)
}

// squeezeShapeTo is squeezeShape appending to dst.
func squeezeShapeTo(dst, in []int, axes []int64) ([]int, error) {
	drop := make([]bool, len(in))
	if axes == nil {
		for i, d := range in {
			drop[i] = d == 1
		}
	}
	for _, a := range axes {
		i, ok := normAxis(a, len(in))
		if !ok {
			return nil, fmt.Errorf("Squeeze axis %d out of range for shape %v", a, in)
		}
		if in[i] != 1 {
			return nil, fmt.Errorf("Squeeze axis %d of shape %v is not 1", a, in)
		}
		drop[i] = true
	}
	out := dst
	for i, d := range in {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return out, nil
}

func unsqueezeShape(in []int, axes []int64) ([]int, error) {
	rank := len(in) + len(axes)
	insert := make([]bool, rank)
	for _, a := range axes {
		i, ok := normAxis(a, rank)
		if !ok || insert[i] {
			return nil, fmt.Errorf("Unsqueeze axes %v invalid for shape %v", axes, in)
		}
		insert[i] = true
	}
	out := make([]int, 0, rank)
	rest := slices.Clone(in)
	for i := range rank {
		if insert[i] {
			out = append(out, 1)
		} else {
			out = append(out, rest[0])
			rest = rest[1:]
		}
	}
	return out, nil
}
