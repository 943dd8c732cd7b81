package native

// recent keeps the last few values a kernel derived from its input shapes
// (geometries, layouts, memoized outputs), most recently used first. One
// entry per kernel is not enough once the batch size varies: a dynamic
// batcher's calls come in batches of any size up to its maximum, and a
// cache that holds only the last shape then misses on almost every call,
// rebuilding (and allocating) what it held before. With an entry per batch
// size a batcher commonly makes, every size hits once seen.
//
// Lookups take the run's shape tag (runCtx.tag, a hash of the graph
// inputs' shapes): the entry that last served a run of the same tag is
// checked first, so that a run among many recurring shapes pays one match,
// as a run of one fixed shape does, instead of a scan. The tag is only a
// hint; match decides. Callers hold their own lock.
type recent[T any] struct {
	items [recentSize]*T
	tags  [recentSize]uint64
}

// recentSize is how many entries a recent keeps: at least the batch sizes
// a batcher's calls alternate between under steady traffic (1 to 32 at
// the default maximum batch).
const recentSize = 32

// find returns the first entry for which match is true, or nil, and moves
// it first. tag is the run's shape tag (0: none).
func (r *recent[T]) find(tag uint64, match func(*T) bool) *T {
	if tag != 0 {
		for i, t := range r.tags {
			if t == tag {
				if v := r.items[i]; v != nil && match(v) {
					r.front(i, tag)
					return v
				}
				break
			}
		}
	}
	for i, v := range r.items {
		if v == nil {
			return nil
		}
		if match(v) {
			r.front(i, tag)
			return v
		}
	}
	return nil
}

// front moves entry i first, tagged with tag.
func (r *recent[T]) front(i int, tag uint64) {
	v := r.items[i]
	copy(r.items[1:i+1], r.items[:i])
	copy(r.tags[1:i+1], r.tags[:i])
	r.items[0], r.tags[0] = v, tag
}

// add puts v first, tagged with tag, dropping the least recently used
// entry if all are taken.
func (r *recent[T]) add(tag uint64, v *T) {
	copy(r.items[1:], r.items[:recentSize-1])
	copy(r.tags[1:], r.tags[:recentSize-1])
	r.items[0], r.tags[0] = v, tag
}
