package tensor

import (
	"fmt"
	"slices"
)

// Concat joins tensors along their first dimension. They must have the same
// type and the same dimensions after the first.
func Concat(ts ...*Tensor) (*Tensor, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("concat of no tensors")
	}
	first := ts[0]
	if first.Rank() == 0 {
		return nil, fmt.Errorf("cannot concatenate scalars")
	}
	rows := 0
	for i, t := range ts {
		if t.dtype != first.dtype || t.Rank() != first.Rank() || !slices.Equal(t.shape[1:], first.shape[1:]) {
			return nil, fmt.Errorf("tensor %d is %v, tensor 0 is %v: only the first dimension may differ", i, t, first)
		}
		rows += t.shape[0]
	}
	shape := append([]int{rows}, first.shape[1:]...)
	out := New(first.dtype, shape...)
	off := 0
	for _, t := range ts {
		off += copyData(out.data, t.data, off)
	}
	return out, nil
}

// copyData copies src into dst at element offset off and returns the number
// of elements copied.
func copyData(dst, src any, off int) int {
	switch d := dst.(type) {
	case []bool:
		return copy(d[off:], src.([]bool))
	case []uint8:
		return copy(d[off:], src.([]uint8))
	case []uint16:
		return copy(d[off:], src.([]uint16))
	case []uint32:
		return copy(d[off:], src.([]uint32))
	case []uint64:
		return copy(d[off:], src.([]uint64))
	case []int8:
		return copy(d[off:], src.([]int8))
	case []int16:
		return copy(d[off:], src.([]int16))
	case []int32:
		return copy(d[off:], src.([]int32))
	case []int64:
		return copy(d[off:], src.([]int64))
	case []float32:
		return copy(d[off:], src.([]float32))
	case []float64:
		return copy(d[off:], src.([]float64))
	case []string:
		return copy(d[off:], src.([]string))
	}
	panic(fmt.Sprintf("tensor: copyData of %T", dst))
}

// Split cuts t along its first dimension into pieces of the given row
// counts, which must add up to the first dimension. The pieces share t's
// data.
func Split(t *Tensor, rows []int) ([]*Tensor, error) {
	if t.Rank() == 0 {
		return nil, fmt.Errorf("cannot split a scalar")
	}
	total := 0
	for _, r := range rows {
		if r < 0 {
			return nil, fmt.Errorf("negative split size %d", r)
		}
		total += r
	}
	if total != t.shape[0] {
		return nil, fmt.Errorf("split sizes add up to %d, the tensor has %d rows", total, t.shape[0])
	}
	stride := NumElements(t.shape[1:])
	out := make([]*Tensor, len(rows))
	start := 0
	for i, r := range rows {
		shape := append([]int{r}, t.shape[1:]...)
		out[i] = &Tensor{dtype: t.dtype, shape: shape, data: sliceData(t.data, start*stride, (start+r)*stride)}
		start += r
	}
	return out, nil
}

func sliceData(data any, lo, hi int) any {
	switch d := data.(type) {
	case []bool:
		return d[lo:hi:hi]
	case []uint8:
		return d[lo:hi:hi]
	case []uint16:
		return d[lo:hi:hi]
	case []uint32:
		return d[lo:hi:hi]
	case []uint64:
		return d[lo:hi:hi]
	case []int8:
		return d[lo:hi:hi]
	case []int16:
		return d[lo:hi:hi]
	case []int32:
		return d[lo:hi:hi]
	case []int64:
		return d[lo:hi:hi]
	case []float32:
		return d[lo:hi:hi]
	case []float64:
		return d[lo:hi:hi]
	case []string:
		return d[lo:hi:hi]
	}
	panic(fmt.Sprintf("tensor: sliceData of %T", data))
}

// GatherRows returns the rows idx of t along its first dimension, in that
// order (repeats allowed), copied into a new tensor.
func GatherRows(t *Tensor, idx []int64) (*Tensor, error) {
	if t.Rank() == 0 {
		return nil, fmt.Errorf("cannot pick rows of a scalar")
	}
	n := t.shape[0]
	for _, i := range idx {
		if i < 0 || i >= int64(n) {
			return nil, fmt.Errorf("row %d is out of range (%d rows)", i, n)
		}
	}
	out := New(t.dtype, append([]int{len(idx)}, t.shape[1:]...)...)
	stride := NumElements(t.shape[1:])
	switch d := out.data.(type) {
	case []bool:
		gatherInto(d, t.data.([]bool), idx, stride)
	case []uint8:
		gatherInto(d, t.data.([]uint8), idx, stride)
	case []uint16:
		gatherInto(d, t.data.([]uint16), idx, stride)
	case []uint32:
		gatherInto(d, t.data.([]uint32), idx, stride)
	case []uint64:
		gatherInto(d, t.data.([]uint64), idx, stride)
	case []int8:
		gatherInto(d, t.data.([]int8), idx, stride)
	case []int16:
		gatherInto(d, t.data.([]int16), idx, stride)
	case []int32:
		gatherInto(d, t.data.([]int32), idx, stride)
	case []int64:
		gatherInto(d, t.data.([]int64), idx, stride)
	case []float32:
		gatherInto(d, t.data.([]float32), idx, stride)
	case []float64:
		gatherInto(d, t.data.([]float64), idx, stride)
	case []string:
		gatherInto(d, t.data.([]string), idx, stride)
	default:
		panic(fmt.Sprintf("tensor: GatherRows of %T", d))
	}
	return out, nil
}

func gatherInto[T any](dst, src []T, idx []int64, stride int) {
	for k, i := range idx {
		copy(dst[k*stride:(k+1)*stride], src[int(i)*stride:(int(i)+1)*stride])
	}
}
