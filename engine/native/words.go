package native

import (
	"unsafe"

	"github.com/inferd/inferd/tensor"
)

// words returns t's data as a slice of unsigned integers of the same
// element size ([]uint8, []uint16, []uint32 or []uint64), or as []string,
// for kernels that only move elements (Transpose, Concat, Gather): one
// generic instantiation per element size covers every element type.
func words(t *tensor.Tensor) any {
	switch d := t.Data().(type) {
	case []bool:
		return reinterpret[uint8](d)
	case []int8:
		return reinterpret[uint8](d)
	case []uint8:
		return d
	case []int16:
		return reinterpret[uint16](d)
	case []uint16:
		return d
	case []int32:
		return reinterpret[uint32](d)
	case []float32:
		return reinterpret[uint32](d)
	case []uint32:
		return d
	case []int64:
		return reinterpret[uint64](d)
	case []float64:
		return reinterpret[uint64](d)
	case []uint64:
		return d
	case []string:
		return d
	}
	return nil
}

// reinterpret views s as a slice of W, which must have the element size
// of E and no pointers.
func reinterpret[W, E any](s []E) []W {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*W)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}
