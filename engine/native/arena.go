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
//
// The arena also keeps the tensors (headers) it made over each of its
// buffers, one per shape, so that a run asking for the shapes of the
// previous run gets the same tensors back and allocates nothing. A tensor
// is immutable, and two values may share one, so handing out the same
// tensor for every value of that shape over that buffer is safe.
type arena struct {
	// owned counts the live values referring to each buffer allocated in
	// the current run.
	owned map[any]int
	// bufs records, by key, the buffers the arena recycles: the free
	// ones and those reused in the current run. A buffer first allocated
	// in the current run joins when it is released or viewed (a graph
	// output never is).
	bufs map[any]*arenaBuf
	// free holds, per element type, the recycled buffers.
	free map[tensor.DType][]*arenaBuf
	// shape is scratch for view.
	shape []int
	// run counts the finished runs, seq the allocs of the current one
	// and vseq its views of arena buffers. picks holds, per alloc and per
	// view of the last run of the current run's shape tag (runCtx.tag),
	// the tensor it got (the current run's, up to seq and vseq); byTag
	// holds the picks of each recent tag. A run making the allocs of the
	// last one of its shapes gets the same buffers and tensors back (see
	// alloc), so that best fit, which depends on the order buffers were
	// freed in, cannot cycle between assignments, even when runs of other
	// shapes (a batcher's calls of other sizes) came in between; and no
	// buffer's tensors need searching, however many shapes it served.
	run, seq, vseq int
	picks          *tagPicks
	byTag          map[uint64]*tagPicks
	// fresh is set while a step making a graph output runs: that output
	// leaves the arena, so it takes a new buffer rather than a recycled
	// one, which the next run would have to allocate again; or one a
	// caller handed back to the session (ret, nil in tests).
	fresh bool
	ret   *recycler
}

// tagPicks are the picks of the last run of a shape tag, and when that
// was (arena.run). Like the buffers' keys, they keep the buffers they
// refer to from the garbage collector until the tag runs again or is
// pruned.
type tagPicks struct {
	allocs, views []arenaPick
	run           int
}

// arenaPick is a tensor an alloc or view got, and its buffer's key.
type arenaPick struct {
	key any
	t   *tensor.Tensor
}

// record sets entry i of *list to t, of buffer key.
func record(list *[]arenaPick, i int, key any, t *tensor.Tensor) {
	if i < len(*list) {
		(*list)[i] = arenaPick{key, t}
	} else {
		*list = append(*list, arenaPick{key, t})
	}
}

// pick returns entry i of list, the zero pick if there is none.
func pick(list []arenaPick, i int) arenaPick {
	if i < len(list) {
		return list[i]
	}
	return arenaPick{}
}

// sameShape reports whether t has type dt and shape.
func sameShape(t *tensor.Tensor, dt tensor.DType, shape []int) bool {
	return t.DType() == dt && slices.Equal(t.Shape(), shape)
}

// arenaBuf is one buffer of an arena with the tensors made over it; the
// data of each starts at the buffer's first element.
type arenaBuf struct {
	key any
	// size is the buffer's capacity in elements.
	size int
	// views holds at most maxViews tensors, each of a different shape,
	// the most recently made last.
	views []*tensor.Tensor
	// use is the last alloc (seq) of run that got the buffer, prev the
	// last of the run before (-1: none).
	run, use, prev int
}

// note records that b is handed out by the current alloc.
func (a *arena) note(b *arenaBuf) {
	if b.run != a.run {
		b.prev = b.lastUse(a.run)
		b.run = a.run
	}
	b.use = a.seq
}

// lastUse returns the last alloc of the run before run that got b, or -1.
func (b *arenaBuf) lastUse(run int) int {
	switch b.run {
	case run:
		return b.prev
	case run - 1:
		return b.use
	}
	return -1
}

// maxFreeBuffers bounds the buffers an arena keeps per element type, and
// maxViews the tensors it keeps per buffer: one per shape of the batch
// sizes recent runs alternate between. staleRuns is how many runs a
// free buffer may go unused before any buffer released may take its place
// (arena.victim): as many as the batch sizes a batcher's calls commonly
// alternate between (recentSize), so that a size that comes back within
// that many runs finds its buffers.
const (
	maxFreeBuffers = 64
	maxViews       = recentSize
	staleRuns      = recentSize
)

func newArena() *arena {
	a := &arena{owned: map[any]int{}, bufs: map[any]*arenaBuf{}, free: map[tensor.DType][]*arenaBuf{}, byTag: map[uint64]*tagPicks{}}
	a.start(0)
	return a
}

// start begins a run of shape tag, before its first alloc: its allocs
// replay those of the last run of the tag or, for a new tag, those of the
// last run (a new batch size then takes the buffers of the last one, as a
// fixed-size arena would, rather than each a new buffer of its own).
func (a *arena) start(tag uint64) {
	p := a.byTag[tag]
	if p == nil {
		p = &tagPicks{run: a.run}
		if a.picks != nil {
			p.allocs, p.views = slices.Clone(a.picks.allocs), slices.Clone(a.picks.views)
		}
		a.byTag[tag] = p
	}
	a.picks = p
}

// view returns the buffer's tensor of type dt and shape, or nil. The most
// recently made are checked first.
func (b *arenaBuf) view(dt tensor.DType, shape []int) *tensor.Tensor {
	for i := len(b.views) - 1; i >= 0; i-- {
		if v := b.views[i]; v.DType() == dt && slices.Equal(v.Shape(), shape) {
			return v
		}
	}
	return nil
}

// addView records t, a tensor over the buffer, dropping the oldest one
// when there are too many.
func (b *arenaBuf) addView(t *tensor.Tensor) {
	if len(b.views) >= maxViews {
		b.views = slices.Delete(b.views, 0, 1)
	}
	b.views = append(b.views, t)
}

// alloc returns a tensor with unspecified contents. A free buffer with a
// tensor of the same shape returns that tensor (a steady-state run
// allocates nothing); else the smallest free buffer large enough is
// reused, unless it is more than twice too large: a small value (a graph
// output, which leaves the arena) must not take a large buffer that the
// next run would then have to allocate again. shape is not retained.
func (a *arena) alloc(dt tensor.DType, shape []int) *tensor.Tensor {
	n := tensor.NumElements(shape)
	list := a.free[dt]
	best, left, last := a.lastPick(list, n)
	if a.fresh {
		best, left = -1, true
	}
	var t *tensor.Tensor
	switch {
	case best >= 0 && sameShape(last, dt, shape):
		t = last
	case best >= 0:
		t = list[best].view(dt, shape)
	case !left:
		best, t = a.bestFit(list, dt, shape, n)
	}
	switch {
	case best >= 0:
		b := list[best]
		a.free[dt] = slices.Delete(list, best, best+1)
		if t == nil {
			t = wrapBuffer(dt, b.views[0].Data(), n, slices.Clone(shape))
			b.addView(t)
		}
		a.note(b)
	default:
		if a.fresh {
			t = a.ret.take(dt, shape, n)
		}
		if t == nil {
			t = tensor.New(dt, shape...)
		}
	}
	k := bufKey(t)
	if k != nil {
		a.owned[k] = 0
	}
	record(&a.picks.allocs, a.seq, k, t)
	a.seq++
	return t
}

// lastPick returns the index in list of the buffer this alloc got in the
// last run of the tag, if it is free and large enough, else -1, and the
// tensor it got. left reports that the buffer left the arena (a graph
// output, most likely): the alloc then gets a new buffer, since a
// recycled one would leave too and the alloc it served would need a new
// one in the next run.
func (a *arena) lastPick(list []*arenaBuf, n int) (i int, left bool, last *tensor.Tensor) {
	p := pick(a.picks.allocs, a.seq)
	if p.key == nil {
		return -1, false, nil
	}
	last = p.t
	b := a.bufs[p.key]
	if b == nil {
		return -1, true, nil
	}
	if b.size >= n {
		for i, f := range list {
			if f == b {
				return i, false, last
			}
		}
	}
	return -1, false, nil
}

// bestFit returns the index in list of the free buffer to reuse for n
// elements, and its tensor of dt and shape if it has one; -1 when none
// fits. It passes over the buffers a later alloc got in the last run.
func (a *arena) bestFit(list []*arenaBuf, dt tensor.DType, shape []int, n int) (int, *tensor.Tensor) {
	best := -1
	for i, f := range list {
		if f.size < n || f.lastUse(a.run) > a.seq {
			continue
		}
		if t := f.view(dt, shape); t != nil {
			return i, t
		}
		if f.size <= 2*n+64 && (best < 0 || f.size < list[best].size) {
			best = i
		}
	}
	return best, nil
}

// view returns a tensor over t's data with another shape of as many
// elements: the one made for an earlier run when t's buffer is the
// arena's, else a new one. shape is not retained.
func (a *arena) view(t *tensor.Tensor, shape []int) (*tensor.Tensor, error) {
	k := bufKey(t)
	if _, ok := a.owned[k]; !ok || k == nil || tensor.NumElements(shape) != t.Len() {
		// Reshape lets its argument escape: pass it one already on the
		// heap.
		a.shape = append(a.shape[:0], shape...)
		return t.Reshape(a.shape...)
	}
	b := a.buf(k, t)
	p := pick(a.picks.views, a.vseq)
	v := p.t
	if v == nil || p.key != k || !sameShape(v, t.DType(), shape) {
		v = b.view(t.DType(), shape)
	}
	if v == nil {
		var err error
		if v, err = t.Reshape(slices.Clone(shape)...); err != nil {
			return nil, err
		}
		b.addView(v)
	}
	record(&a.picks.views, a.vseq, k, v)
	a.vseq++
	return v, nil
}

// buf returns the record of the buffer with key k, of which t is a tensor,
// making it if needed.
func (a *arena) buf(k any, t *tensor.Tensor) *arenaBuf {
	b := a.bufs[k]
	if b == nil {
		b = &arenaBuf{key: k, size: capOf(t.Data()), views: []*tensor.Tensor{t}, prev: -1}
		a.note(b)
		a.bufs[k] = b
	}
	return b
}

// retain records that a value now refers to t's buffer.
func (a *arena) retain(t *tensor.Tensor) {
	if k := bufKey(t); k != nil {
		if n, ok := a.owned[k]; ok {
			a.owned[k] = n + 1
		}
	}
}

// disown drops one reference to t's buffer without recycling it: for a
// kernel that retained a value it then hands out as its output.
func (a *arena) disown(t *tensor.Tensor) {
	if k := bufKey(t); k != nil {
		if n, ok := a.owned[k]; ok && n > 0 {
			a.owned[k] = n - 1
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
	b := a.buf(k, t)
	list := a.free[t.DType()]
	if len(list) >= maxFreeBuffers {
		drop := b
		if i, stale := a.victim(list); stale || list[i].size < b.size {
			drop, list[i] = list[i], b
		}
		delete(a.bufs, drop.key)
		return
	}
	a.free[t.DType()] = append(list, b)
}

// victim returns the index in the (full) free list of the buffer to drop
// for one being released. A stale buffer, one no alloc got in the last
// staleRuns runs, goes first, the longest unused of them: the runs' shapes
// have changed (a batcher's large batches gave way to single requests), and
// keeping it would make every alloc of the new shapes a new buffer, run
// after run. Else the smallest goes, unless the one released is smaller
// still (the caller's choice): the largest buffers serve the most allocs.
func (a *arena) victim(list []*arenaBuf) (i int, stale bool) {
	oldest, small := 0, 0
	for i, f := range list {
		if f.run < list[oldest].run {
			oldest = i
		}
		if f.size < list[small].size {
			small = i
		}
	}
	if list[oldest].run < a.run-staleRuns {
		return oldest, true
	}
	return small, false
}

// endRun forgets the buffers of the finished run: those still owned were
// handed to the caller as outputs (or abandoned on error). Of the picks of
// its tag it keeps only the finished run's: an older, longer run's would
// name buffers since pruned, which lastPick cannot tell from outputs (a
// pick of a buffer pruned since another run of the tag costs that alloc a
// new buffer once). Every staleRuns runs it also drops the stale free
// buffers and the picks of the tags not run since (prune). A run not
// started with its tag replays the finished run's picks.
func (a *arena) endRun() {
	for k := range a.owned {
		delete(a.bufs, k)
	}
	clear(a.owned)
	p := a.picks
	clear(p.allocs[a.seq:])
	clear(p.views[a.vseq:])
	p.allocs, p.views, p.run = p.allocs[:a.seq], p.views[:a.vseq], a.run
	a.run++
	a.seq, a.vseq = 0, 0
	if a.run%staleRuns == 0 {
		a.prune()
	}
}

// prune drops the free buffers no alloc got in the last staleRuns runs.
// Every alloc looks through its type's free list, so a list that kept the
// buffers of shapes no longer run (a batcher's large batches, when the
// load has fallen to single requests) would make every later run slower,
// not only larger: a quarter more engine time for the transformer encoder
// at batch 1, with 64 free buffers where its runs use 16.
func (a *arena) prune() {
	for tag, p := range a.byTag {
		if p != a.picks && p.run < a.run-staleRuns {
			delete(a.byTag, tag)
		}
	}
	for dt, list := range a.free {
		a.free[dt] = slices.DeleteFunc(list, func(b *arenaBuf) bool {
			if b.run >= a.run-staleRuns {
				return false
			}
			delete(a.bufs, b.key)
			return true
		})
	}
}

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
