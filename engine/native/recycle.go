package native

import (
	"slices"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/inferd/inferd/tensor"
)

// Bounds of a session's recycling: the outputs handed out that it still
// takes back (the oldest are forgotten, and then ignored when they come
// back), and the outputs handed back that it keeps for later runs (these
// the caller gave up, so keeping them holds no memory a caller uses).
const (
	maxIssued   = 16
	maxReturned = 4
)

// recycler holds the outputs callers handed back (engine.Recycler) for
// later runs to write their outputs into. It takes back only what recent
// runs handed out: a buffer the run's arena allocated and then let go of
// as an output, so never an input, a constant or a buffer the arena still
// recycles itself. It keeps track of outputs only once a caller has
// handed one back, so that a server, which never does, pays nothing. It
// tracks outputs by weak pointer, so an output its caller drops instead of
// handing back is collected as usual: tracking holds no memory.
type recycler struct {
	active atomic.Bool
	mu     sync.Mutex
	// issued holds the outputs recent runs handed out, oldest first;
	// back the outputs handed back, oldest first. A tensor is taken back
	// only if it is one of issued, not another tensor over its buffer (a
	// slice of it). Weak pointers to one tensor are equal, and an entry
	// whose tensor was collected matches nothing.
	issued []weak.Pointer[tensor.Tensor]
	back   []*tensor.Tensor
}

// Recycle implements engine.Recycler.
func (s *session) Recycle(outputs []*tensor.Tensor) {
	s.recycled.put(outputs)
}

// put takes back those of outputs that recent runs handed out.
func (r *recycler) put(outputs []*tensor.Tensor) {
	r.active.Store(true)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range outputs {
		if t == nil {
			continue
		}
		i := slices.Index(r.issued, weak.Make(t))
		if i < 0 {
			continue
		}
		r.issued = slices.Delete(r.issued, i, i+1)
		if len(r.back) == maxReturned {
			r.back = slices.Delete(r.back, 0, 1)
		}
		r.back = append(r.back, t)
	}
}

// issue records the outputs of a run that its arena allocated in the run
// (owned, before endRun forgets them; nil for a split run, whose outputs
// are all its own), once recycling is active. Outputs over one buffer (an
// output and its Reshape) are never taken back: a caller may hand back one
// and keep reading the other.
func (r *recycler) issue(outs map[string]*tensor.Tensor, owned map[any]int) {
	if r == nil || !r.active.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, t := range outs {
		k := bufKey(t)
		if _, ok := owned[k]; !ok && owned != nil || k == nil || shared(outs, name, k) {
			continue
		}
		w := weak.Make(t)
		if slices.Contains(r.issued, w) {
			continue
		}
		if len(r.issued) == maxIssued {
			r.issued = slices.Delete(r.issued, 0, 1)
		}
		r.issued = append(r.issued, w)
	}
}

// shared reports whether an output of outs other than name has buffer k.
func shared(outs map[string]*tensor.Tensor, name string, k any) bool {
	for n, t := range outs {
		if n != name && bufKey(t) == k {
			return true
		}
	}
	return false
}

// take returns a tensor of type dt and shape over a buffer handed back,
// or nil: the handed-back tensor itself when it has that type and shape,
// else a new tensor over its buffer if that holds n elements and is at
// most about twice too large (as the arena's bestFit). shape is not
// retained.
func (r *recycler) take(dt tensor.DType, shape []int, n int) *tensor.Tensor {
	if r == nil || !r.active.Load() {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, t := range r.back {
		if t.DType() != dt || t.Len() < n || t.Len() > 2*n+64 {
			continue
		}
		r.back = slices.Delete(r.back, i, i+1)
		if slices.Equal(t.Shape(), shape) {
			return t
		}
		return wrapBuffer(dt, t.Data(), n, slices.Clone(shape))
	}
	return nil
}

// alloc returns a tensor of type dt and shape over a buffer handed back,
// or a new one. shape is not retained.
func (r *recycler) alloc(dt tensor.DType, shape []int) *tensor.Tensor {
	if t := r.take(dt, shape, tensor.NumElements(shape)); t != nil {
		return t
	}
	return tensor.New(dt, shape...)
}
