package native

import "sync"

// freeList recycles values of type T that must live on the heap for a
// short while, such as the state of a parallel region (rangeBody), which
// the helpers read: taking one from the list instead of allocating keeps
// steady-state runs free of allocations. Unlike a sync.Pool it is not
// emptied by garbage collections; it keeps as many values as have been in
// use at once, up to maxFreeListed.
type freeList[T any] struct {
	mu   sync.Mutex
	free []*T
}

// maxFreeListed bounds the values a freeList keeps.
const maxFreeListed = 64

// get returns a zero T, recycled when one is free.
func (f *freeList[T]) get() *T {
	f.mu.Lock()
	if n := len(f.free); n > 0 {
		x := f.free[n-1]
		f.free[n-1] = nil
		f.free = f.free[:n-1]
		f.mu.Unlock()
		return x
	}
	f.mu.Unlock()
	return new(T)
}

// put zeroes x, so that it keeps no buffer alive, and makes it available
// to get. x must not be used afterwards.
func (f *freeList[T]) put(x *T) {
	var zero T
	*x = zero
	f.mu.Lock()
	if len(f.free) < maxFreeListed {
		f.free = append(f.free, x)
	}
	f.mu.Unlock()
}
