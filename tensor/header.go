package tensor

import "unsafe"

// A tensor made by New, FromSlice, Scalar, Clone or Reshape is one heap
// object besides its elements: the Tensor, its shape (up to inlineRank
// dimensions) and the slice header its data interface points to live in
// one allocation. Separately they were three (and a fourth for the elements),
// which made up most of what an inference engine allocates per run: its
// outputs leave the run, so each needs new ones.

// inlineRank is the largest rank whose shape is kept in the tensor's own
// allocation; longer shapes get their own.
const inlineRank = 6

// shaped is a Tensor with room for its shape.
type shaped struct {
	t    Tensor
	dims [inlineRank]int
}

// packed is a Tensor with room for its shape and for the slice header its
// data interface points to.
type packed[T Elem] struct {
	t    Tensor
	data []T
	dims [inlineRank]int
}

// setShape points t's shape at a copy of shape in dims, or in a slice of
// its own when it is too long. The copy's capacity is its length, so that
// appending to a tensor's shape never writes into the allocation.
func setShape(t *Tensor, dims *[inlineRank]int, shape []int) {
	if len(shape) > inlineRank {
		t.shape = append(make([]int, 0, len(shape)), shape...)
		return
	}
	n := copy(dims[:], shape)
	t.shape = dims[:n:n]
}

// withData returns a tensor of dt and a copy of shape over data, which it
// keeps (boxed) in the tensor's allocation.
func withData[T Elem](dt DType, shape []int, data []T) *Tensor {
	p := &packed[T]{data: data}
	p.t.dtype = dt
	setShape(&p.t, &p.dims, shape)
	p.t.data = boxSlice(&p.data)
	return &p.t
}

// withShape returns a tensor of dt and a copy of shape over data, an
// interface already holding a slice.
func withShape(dt DType, shape []int, data any) *Tensor {
	s := &shaped{}
	s.t.dtype = dt
	s.t.data = data
	setShape(&s.t, &s.dims, shape)
	return &s.t
}

// boxSlice returns the slice *p as an interface value whose data word
// points at p itself. Converting *p to an interface would copy the slice
// header into an allocation of its own; p lives in the tensor's allocation
// instead. An interface holding a slice is a type word and a pointer to a
// slice header, so the value is the same as the conversion's; *p must not
// change afterwards, as the copy the conversion makes never does.
func boxSlice[T Elem](p *[]T) any {
	var v any = []T(nil) // the type word; a nil slice is not allocated
	(*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1] = unsafe.Pointer(p)
	return v
}
