package native

import "sync"

// freeList recycles values of type T that must live on the heap for a
// short while, such as the state of a parallel region (rangeBody), which
// the helpers read: taking one from the list instead of allocating keeps
// steady-state runs free of allocations. Unlike a sync.Pool it is not
// emptied by garbage collections; it keeps as many values as have been in
// use at once, up to its limit.
type freeList[T any] struct {
	mu   sync.Mutex
	free []*T
	// limit bounds the values kept: 0 means maxFreeListed, a negative
	// limit none.
	limit int
}

// maxFreeListed is the default bound of a freeList.
const maxFreeListed = 64

// take returns a kept value as it was left, or nil when none is.
func (f *freeList[T]) take() *T {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.free)
	if n == 0 {
		return nil
	}
	x := f.free[n-1]
	f.free[n-1] = nil
	f.free = f.free[:n-1]
	return x
}

// keep makes x, as it is, available to take, unless the list is full. x
// must not be used afterwards.
func (f *freeList[T]) keep(x *T) {
	limit := f.limit
	if limit == 0 {
		limit = maxFreeListed
	}
	f.keepUpTo(x, limit)
}

// keepUpTo is keep with the list's bound given: limit values (none when
// negative).
func (f *freeList[T]) keepUpTo(x *T, limit int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if limit < 0 || len(f.free) < limit {
		f.free = append(f.free, x)
	}
}

// drop forgets every kept value.
func (f *freeList[T]) drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.free = nil
}

// get returns a zero T, recycled when one is free.
func (f *freeList[T]) get() *T {
	if x := f.take(); x != nil {
		return x
	}
	return new(T)
}

// put zeroes x, so that it keeps no buffer alive, and makes it available
// to get. x must not be used afterwards.
func (f *freeList[T]) put(x *T) {
	var zero T
	*x = zero
	f.keep(x)
}
