//go:build ort

package ort

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// concat joins the elements of tensors of one type, in order, into a new
// tensor of the given shape.
func concat(ts []*tensor.Tensor, shape []int) (*tensor.Tensor, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("nothing to join")
	}
	dt := ts[0].DType()
	for i, t := range ts {
		if t.DType() != dt {
			return nil, fmt.Errorf("element %d is %v, element 0 is %v", i, t.DType(), dt)
		}
	}
	out := tensor.New(dt, shape...)
	var n int
	switch d := out.Data().(type) {
	case []bool:
		n = join(d, ts)
	case []uint8:
		n = join(d, ts)
	case []uint16:
		n = join(d, ts)
	case []uint32:
		n = join(d, ts)
	case []uint64:
		n = join(d, ts)
	case []int8:
		n = join(d, ts)
	case []int16:
		n = join(d, ts)
	case []int32:
		n = join(d, ts)
	case []int64:
		n = join(d, ts)
	case []float32:
		n = join(d, ts)
	case []float64:
		n = join(d, ts)
	case []string:
		n = join(d, ts)
	}
	if n != out.Len() {
		return nil, fmt.Errorf("%d elements for shape %v", n, shape)
	}
	return out, nil
}

// join copies the data of ts into dst as far as it fits and returns the
// total number of elements of ts.
func join[T tensor.Elem](dst []T, ts []*tensor.Tensor) int {
	n := 0
	for _, t := range ts {
		src := tensor.Data[T](t)
		if n < len(dst) {
			copy(dst[n:], src)
		}
		n += len(src)
	}
	return n
}

// element returns element i of t as a rank-0 tensor.
func element(t *tensor.Tensor, i int) *tensor.Tensor {
	switch d := t.Data().(type) {
	case []bool:
		return tensor.Scalar(d[i])
	case []uint8:
		return tensor.Scalar(d[i])
	case []uint16:
		if t.DType() == tensor.Float16 {
			s, _ := tensor.FromFloat16Bits([]uint16{d[i]})
			return s
		}
		return tensor.Scalar(d[i])
	case []uint32:
		return tensor.Scalar(d[i])
	case []uint64:
		return tensor.Scalar(d[i])
	case []int8:
		return tensor.Scalar(d[i])
	case []int16:
		return tensor.Scalar(d[i])
	case []int32:
		return tensor.Scalar(d[i])
	case []int64:
		return tensor.Scalar(d[i])
	case []float32:
		return tensor.Scalar(d[i])
	case []float64:
		return tensor.Scalar(d[i])
	case []string:
		return tensor.Scalar(d[i])
	}
	return nil
}
