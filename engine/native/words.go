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

// wordKind returns the element size in bytes (1, 2, 4 or 8) of a tensor
// words handles, 0 for strings and -1 for other types: with wordsAs, the
// callers' dispatch over element sizes without boxing a slice in an
// interface (an allocation per call).
func wordKind(t *tensor.Tensor) int {
	switch t.Data().(type) {
	case []bool, []int8, []uint8:
		return 1
	case []int16, []uint16:
		return 2
	case []int32, []float32, []uint32:
		return 4
	case []int64, []float64, []uint64:
		return 8
	case []string:
		return 0
	}
	return -1
}

// wordsAs is words as a slice of W, which must be the type words returns
// for t (wordKind tells which); it panics otherwise.
func wordsAs[W any](t *tensor.Tensor) []W {
	switch d := t.Data().(type) {
	case []bool:
		return reinterpretSized[W](d)
	case []int8:
		return reinterpretSized[W](d)
	case []uint8:
		return reinterpretSized[W](d)
	case []int16:
		return reinterpretSized[W](d)
	case []uint16:
		return reinterpretSized[W](d)
	case []int32:
		return reinterpretSized[W](d)
	case []float32:
		return reinterpretSized[W](d)
	case []uint32:
		return reinterpretSized[W](d)
	case []int64:
		return reinterpretSized[W](d)
	case []float64:
		return reinterpretSized[W](d)
	case []uint64:
		return reinterpretSized[W](d)
	case []string:
		if w, ok := any(d).([]W); ok {
			return w
		}
	}
	panic("wordsAs: element type mismatch")
}

// reinterpretSized is reinterpret after checking that W and E have the
// same size and W holds no pointers (it is not string).
func reinterpretSized[W, E any](s []E) []W {
	var w W
	var e E
	if _, str := any(w).(string); str || unsafe.Sizeof(w) != unsafe.Sizeof(e) {
		panic("wordsAs: element type mismatch")
	}
	return reinterpret[W](s)
}

// reinterpret views s as a slice of W, which must have the element size
// of E and no pointers.
func reinterpret[W, E any](s []E) []W {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*W)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}
