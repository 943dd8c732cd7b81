package native

import (
	"slices"

	"github.com/inferd/inferd/tensor"
)

// arena hands out tensor buffers during a run and takes back those of
// values after their last use, so that later values reuse them. One arena
// serves one run at a time; sessions pool them, so that steady-state runs
// allocate little more than their outputs.
//
// Buffers are identified by the address of the last element of their
// backing array, which every tensor sharing the array (an input and its
// Reshape) has in common. A buffer goes back on the free list only when no
// live value refers to it any more, and only if this arena allocated it
// during the current run: inputs, constants and outputs are never recycled.
type arena struct {
	// owned counts the live values referring to each buffer allocated in
	// the current run.
	owned map[any]int
	// free holds, per element type, the last tensor released over each
	// recycled buffer (the buffer is its data up to the capacity).
	free map[tensor.DType][]*tensor.Tensor
}

// maxFreeBuffers bounds the buffers an arena keeps per element type.
const maxFreeBuffers = 64

func newArena() *arena {
	return &arena{owned: map[any]int{}, free: map[tensor.DType][]*tensor.Tensor{}}
}

// alloc returns a tensor with unspecified contents. A free tensor of the
// same shape is returned as it is (a steady-state run allocates nothing);
// else the smallest free buffer large enough is reused, unless it is more
// than twice too large: a small value (a graph output, which leaves the
// arena) must not take a large buffer that the next run would then have to
// allocate again.
func (a *arena) alloc(dt tensor.DType, shape []int) *tensor.Tensor {
	n := tensor.NumElements(shape)
	list := a.free[dt]
	best := -1
	for i, f := range list {
		if slices.Equal(f.Shape(), shape) {
			best = i
			break
		}
		if c := capOf(f.Data()); c >= n && c <= 2*n+64 && (best < 0 || c < capOf(list[best].Data())) {
			best = i
		}
	}
	var t *tensor.Tensor
	switch {
	case best >= 0 && slices.Equal(list[best].Shape(), shape):
		t = list[best]
		a.free[dt] = slices.Delete(list, best, best+1)
	case best >= 0:
		t = wrapBuffer(dt, list[best].Data(), n, shape)
		a.free[dt] = slices.Delete(list, best, best+1)
	default:
		t = tensor.New(dt, shape...)
	}
	if k := bufKey(t); k != nil {
		a.owned[k] = 0
	}
	return t
}

// retain records that a value now refers to t's buffer.
func (a *arena) retain(t *tensor.Tensor) {
	if k := bufKey(t); k != nil {
		if n, ok := a.owned[k]; ok {
			a.owned[k] = n + 1
		}
	}
}

// release records that a value referring to t's buffer is dead, recycling
// the buffer when it was the last one.
func (a *arena) release(t *tensor.Tensor) {
	k := bufKey(t)
	if k == nil {
		return
	}
	n, ok := a.owned[k]
	if !ok {
		return
	}
	if n > 1 {
		a.owned[k] = n - 1
		return
	}
	delete(a.owned, k)
	list := a.free[t.DType()]
	if len(list) >= maxFreeBuffers {
		// Keep the largest buffers: replace the smallest if this one is
		// larger, else drop this one.
		small := 0
		for i, b := range list {
			if capOf(b.Data()) < capOf(list[small].Data()) {
				small = i
			}
		}
		if capOf(list[small].Data()) < capOf(t.Data()) {
			list[small] = t
		}
		return
	}
	a.free[t.DType()] = append(list, t)
}

// endRun forgets the buffers of the finished run: those still owned were
// handed to the caller as outputs (or abandoned on error).
func (a *arena) endRun() { clear(a.owned) }

// bufKey identifies t's backing array, or returns nil for empty data.
func bufKey(t *tensor.Tensor) any {
	switch d := t.Data().(type) {
	case []bool:
		return lastElem(d)
	case []uint8:
		return lastElem(d)
	case []uint16:
		return lastElem(d)
	case []uint32:
		return lastElem(d)
	case []uint64:
		return lastElem(d)
	case []int8:
		return lastElem(d)
	case []int16:
		return lastElem(d)
	case []int32:
		return lastElem(d)
	case []int64:
		return lastElem(d)
	case []float32:
		return lastElem(d)
	case []float64:
		return lastElem(d)
	case []string:
		return lastElem(d)
	}
	return nil
}

func lastElem[T any](s []T) any {
	if cap(s) == 0 {
		return nil
	}
	return &s[:cap(s)][cap(s)-1]
}

func capOf(buf any) int {
	switch d := buf.(type) {
	case []bool:
		return cap(d)
	case []uint8:
		return cap(d)
	case []uint16:
		return cap(d)
	case []uint32:
		return cap(d)
	case []uint64:
		return cap(d)
	case []int8:
		return cap(d)
	case []int16:
		return cap(d)
	case []int32:
		return cap(d)
	case []int64:
		return cap(d)
	case []float32:
		return cap(d)
	case []float64:
		return cap(d)
	}
	return 0
}

// wrapBuffer makes a tensor of n elements over the start of buf.
func wrapBuffer(dt tensor.DType, buf any, n int, shape []int) *tensor.Tensor {
	var t *tensor.Tensor
	switch d := buf.(type) {
	case []bool:
		t = tensor.MustFromSlice(d[:n], shape...)
	case []uint8:
		t = tensor.MustFromSlice(d[:n], shape...)
	case []uint16:
		if dt == tensor.Float16 {
			t, _ = tensor.FromFloat16Bits(d[:n], shape...)
		} else {
			t = tensor.MustFromSlice(d[:n], shape...)
		}
	case []uint32:
		t = tensor.MustFromSlice(d[:n], shape...)
	case []uint64:
		t = tensor.MustFromSlice(d[:n], shape...)
	case []int8:
		t = tensor.MustFromSlice(d[:n], shape...)
	case []int16:
		t = tensor.MustFromSlice(d[:n], shape...)
	case []int32:
		t = tensor.MustFromSlice(d[:n], shape...)
	case []int64:
		t = tensor.MustFromSlice(d[:n], shape...)
	case []float32:
		t = tensor.MustFromSlice(d[:n], shape...)
	case []float64:
		t = tensor.MustFromSlice(d[:n], shape...)
	default:
		t = tensor.New(dt, shape...)
	}
	return t
}
