package native

import (
	"fmt"
	"math"
	"slices"

	"github.com/inferd/inferd/tensor"
)

// Operators that make tensors from shapes and scalars: ConstantOfShape,
// Range, EyeLike and Size.

func init() {
	registerSince("ConstantOfShape", 9, buildConstantOfShape)
	registerSince("Range", 11, func(b *buildCtx) (kernel, error) { return kernelFunc(runRange), nil })
	registerSince("EyeLike", 9, buildEyeLike)
	register("Size", func(b *buildCtx) (kernel, error) {
		return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
			out[0] = tensor.Scalar(int64(in[0].Len()))
			return nil
		}), nil
	})
}

func buildConstantOfShape(b *buildCtx) (kernel, error) {
	value, err := b.tensorAttr("value")
	if err != nil {
		return nil, err
	}
	if value == nil {
		value = tensor.MustFromSlice([]float32{0}, 1)
	}
	if value.Len() != 1 {
		return nil, b.errorf("attribute value must hold one element, got shape %v", value.Shape())
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		dims, err := int64sOf(in[0])
		if err != nil {
			return fmt.Errorf("ConstantOfShape shape: %w", err)
		}
		var sb [8]int // small ranks stay on the stack (alloc keeps no shape)
		shape, err := dimsInto(sb[:0], dims)
		if err != nil {
			return fmt.Errorf("ConstantOfShape: %w", err)
		}
		y := rc.alloc(value.DType(), shape)
		fillWith(y, value)
		out[0] = y
		return nil
	}), nil
}

// dimsOf converts int64 dimensions to a valid shape.
func dimsOf(dims []int64) ([]int, error) {
	return dimsInto(make([]int, 0, len(dims)), dims)
}

// dimsInto is dimsOf appending to shape, which the error does not keep.
func dimsInto(shape []int, dims []int64) ([]int, error) {
	for _, d := range dims {
		if d < 0 || d > math.MaxInt32 {
			return nil, fmt.Errorf("invalid dimension %d in shape %v", d, slices.Clone(dims))
		}
		shape = append(shape, int(d))
	}
	if tensor.CheckShape(shape) != nil {
		return nil, tensor.CheckShape(slices.Clone(shape)) // a copy, so that shape does not escape
	}
	return shape, nil
}

// fillWith sets every element of t to the single element of v (same type).
func fillWith(t, v *tensor.Tensor) { fillLoops.run(t, v, struct{}{}) }

var fillLoops = loopsOf[struct{}](fillFrom, fillFrom, fillFrom, fillFrom, fillFrom)

// fillFrom sets every element of d to v[0].
func fillFrom[T any](d, v []T, _ struct{}) { fillT(d, v[0]) }

func fillT[T any](d []T, v T) {
	for i := range d {
		d[i] = v
	}
}

func runRange(rc *runCtx, in, out []*tensor.Tensor) error {
	start, limit, delta := in[0], in[1], in[2]
	if err := sameDType("Range", start, limit, delta); err != nil {
		return err
	}
	for _, t := range in[:3] {
		if t.Len() != 1 {
			return fmt.Errorf("Range inputs must be scalars, got shape %v", t.Shape())
		}
	}
	switch start.DType() {
	case tensor.Float32:
		out[0] = rangeT[float32](rc, start, limit, delta)
	case tensor.Float64:
		out[0] = rangeT[float64](rc, start, limit, delta)
	case tensor.Int16:
		out[0] = rangeT[int16](rc, start, limit, delta)
	case tensor.Int32:
		out[0] = rangeT[int32](rc, start, limit, delta)
	case tensor.Int64:
		out[0] = rangeT[int64](rc, start, limit, delta)
	default:
		return dtypeError("Range", start.DType())
	}
	return nil
}

func rangeT[T numElem](rc *runCtx, start, limit, delta *tensor.Tensor) *tensor.Tensor {
	s, l, d := tensor.Data[T](start)[0], tensor.Data[T](limit)[0], tensor.Data[T](delta)[0]
	if d == 0 {
		throwf("Range delta is zero")
	}
	n := math.Ceil((float64(l) - float64(s)) / float64(d))
	if n < 0 || math.IsNaN(n) {
		n = 0
	}
	if n > 1<<31 {
		throwf("Range of %v elements is too large", n)
	}
	y := rc.alloc(tensor.DTypeOf[T](), []int{int(n)})
	yd := tensor.Data[T](y)
	v := s
	for i := range yd {
		yd[i] = v
		v += d
	}
	return y
}

func buildEyeLike(b *buildCtx) (kernel, error) {
	code, err := b.intAttr("dtype", 0)
	if err != nil {
		return nil, err
	}
	var dt tensor.DType
	if code != 0 {
		var ok bool
		if dt, ok = onnxDTypes[code]; !ok || dt == tensor.String {
			return nil, b.errorf("EyeLike dtype %d is not supported", code)
		}
	}
	k, err := b.intAttr("k", 0)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		if x.Rank() != 2 {
			return fmt.Errorf("EyeLike input must be 2-D, got shape %v", x.Shape())
		}
		t := dt
		if t == tensor.Invalid {
			t = x.DType()
		}
		rows, cols := x.Shape()[0], x.Shape()[1]
		ones := make([]float64, rows*cols)
		for i := range rows {
			if j := int64(i) + k; j >= 0 && j < int64(cols) {
				ones[i*cols+int(j)] = 1
			}
		}
		y := tensor.New(t, rows, cols)
		if t == tensor.Float16 {
			bits := tensor.Data[uint16](y)
			for i, v := range ones {
				bits[i] = tensor.Float32ToFloat16(float32(v))
			}
		} else {
			castSlice(y.Data(), ones)
		}
		out[0] = y
		return nil
	}), nil
}
