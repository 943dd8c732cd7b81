package native

// recent keeps the last few values a kernel derived from its input shapes
// (geometries, layouts, memoized outputs), most recent first. One entry per
// kernel is not enough once the batch size varies: a dynamic batcher
// alternates between batches of 1, 2, 3, ... rows, and a cache that holds
// only the last shape then misses on almost every call, rebuilding (and
// allocating) what it held before. With a few entries, a handful of batch
// sizes in turn all hit. Callers hold their own lock.
type recent[T any] struct {
	items [recentSize]*T
}

// recentSize is how many entries a recent keeps: the batch sizes a
// batcher's calls commonly alternate between under steady traffic.
const recentSize = 8

// find returns the first entry for which match is true, or nil.
func (r *recent[T]) find(match func(*T) bool) *T {
	for _, v := range r.items {
		if v == nil {
			return nil
		}
		if match(v) {
			return v
		}
	}
	return nil
}

// add puts v first, dropping the oldest entry if all are taken.
func (r *recent[T]) add(v *T) {
	copy(r.items[1:], r.items[:recentSize-1])
	r.items[0] = v
}
