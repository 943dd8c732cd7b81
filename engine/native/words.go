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

// wordLoops is a data-movement loop instantiated for each word type (see
// words): the one dispatch over element sizes of the kernels that copy
// elements from src to dst (Expand, Tile, Gather, GatherElements,
// GatherND, Split, the Scatter family's plain writes, ConstantOfShape).
// Declare one per loop with loopsOf, which lets the compiler instantiate
// the loop for each word type:
//
//	var tileLoops = loopsOf[shapePair](tileT, tileT, tileT, tileT, tileT)
//
// A carries the loop's other arguments. They are passed to a function
// value, so escape analysis makes them escape: A must not refer to the
// caller's stack (the kernels' index slices and shapes are on the heap).
type wordLoops[A any] struct {
	w1 func(dst, src []uint8, a A)
	w2 func(dst, src []uint16, a A)
	w4 func(dst, src []uint32, a A)
	w8 func(dst, src []uint64, a A)
	ws func(dst, src []string, a A)
}

// loopsOf collects a loop's instantiations (the same generic function
// five times: Go infers each one's type argument from the parameter's
// type, which it does not for the fields of a composite literal).
func loopsOf[A any](w1 func(dst, src []uint8, a A), w2 func(dst, src []uint16, a A), w4 func(dst, src []uint32, a A),
	w8 func(dst, src []uint64, a A), ws func(dst, src []string, a A)) wordLoops[A] {
	return wordLoops[A]{w1, w2, w4, w8, ws}
}

// run calls the loop of src's element size; dst has src's element type.
// It does nothing for types words does not handle.
func (l *wordLoops[A]) run(dst, src *tensor.Tensor, a A) {
	switch wordKind(src) {
	case 1:
		l.w1(wordsAs[uint8](dst), wordsAs[uint8](src), a)
	case 2:
		l.w2(wordsAs[uint16](dst), wordsAs[uint16](src), a)
	case 4:
		l.w4(wordsAs[uint32](dst), wordsAs[uint32](src), a)
	case 8:
		l.w8(wordsAs[uint64](dst), wordsAs[uint64](src), a)
	case 0:
		l.ws(wordsAs[string](dst), wordsAs[string](src), a)
	}
}
