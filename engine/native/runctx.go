package native

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/inferd/inferd/tensor"
)

// runCtx is what a kernel gets from the run executing it.
type runCtx struct {
	ctx context.Context
	// threads bounds the goroutines one kernel may use.
	threads int
	// arena recycles buffers of dead values; nil allocates fresh ones
	// (constant folding at load).
	arena *arena
	// maxBytes bounds the size of one tensor alloc makes; 0 means no
	// limit (see limits).
	maxBytes int64
	// onStep, when set, receives the time each step of the plan took
	// (RunProfiled).
	onStep func(node, op string, d time.Duration)
	// outputs are the slots of the graph's outputs (the main graph's run
	// only): the steps making them allocate outside the arena's free list.
	outputs []int
	// tag hashes the shapes of the graph inputs (0: unknown), which the
	// kernels' shape caches take as a hint of the entry to check first
	// (recent.find) and the arena as the key of the allocs to replay.
	tag uint64
}

// sub returns a context for a subgraph run within rc's: same cancellation,
// threads and limit, without rc's arena.
func (rc *runCtx) sub() *runCtx {
	return &runCtx{ctx: rc.ctx, threads: rc.threads, maxBytes: rc.maxBytes}
}

// kernelError carries an error out of deep kernel code by panic; the step
// runner recovers it and returns the error. Kernels use it through throwf
// (and rc.alloc) where returning errors through every helper would obscure
// the arithmetic.
type kernelError struct{ err error }

// throwf aborts the current kernel with an error.
func throwf(format string, args ...any) {
	panic(kernelError{fmt.Errorf(format, args...)})
}

// alloc returns a tensor of the given type and shape whose contents are
// unspecified: the kernel must write every element. It aborts the kernel
// with an error when the shape is invalid, or when the tensor would take
// more than rc.maxBytes: every size a kernel computes from values (a
// ConstantOfShape's shape input, Expand, Tile, Range, Resize, Pad, …) is
// checked here before the memory is taken.
// shape is not retained.
func (rc *runCtx) alloc(dt tensor.DType, shape []int) *tensor.Tensor {
	if !validShape(shape) {
		// A copy, so that shape does not escape.
		throwf("output %v", tensor.CheckShape(slices.Clone(shape)))
	}
	if rc.maxBytes > 0 && int64(tensor.NumElements(shape))*elemBytes(dt) > rc.maxBytes {
		panic(kernelError{checkBytes(rc.maxBytes, dt, tensor.NumElements(shape), slices.Clone(shape))})
	}
	if rc.arena == nil || dt == tensor.String {
		return tensor.New(dt, shape...)
	}
	return rc.arena.alloc(dt, shape)
}

// fits reports, as an error, whether a tensor of type dt and shape would
// exceed rc's limit: for kernels that allocate scratch of the output's size
// before the output.
func (rc *runCtx) fits(dt tensor.DType, shape []int) error {
	return checkBytes(rc.maxBytes, dt, tensor.NumElements(shape), shape)
}

// view returns a tensor sharing t's data with another shape of as many
// elements (what a Reshape outputs). Views of the run's buffers are
// recycled across runs, like the buffers. shape is not retained.
func (rc *runCtx) view(t *tensor.Tensor, shape []int) (*tensor.Tensor, error) {
	if rc.arena == nil {
		return t.Reshape(slices.Clone(shape)...)
	}
	return rc.arena.view(t, shape)
}

// validShape reports whether tensor.CheckShape accepts shape, without
// letting shape escape.
func validShape(shape []int) bool {
	n := 1
	for _, d := range shape {
		if d < 0 || d != 0 && n > maxShapeElements/d {
			return false
		}
		n *= d
	}
	return true
}

// maxShapeElements is the element count tensor.CheckShape allows.
const maxShapeElements = 1 << 31

// shapeTag returns the shape tag of a run of p on st's inputs: a hash of
// their element types and shapes, never 0 (0 for inputs not all tensors).
// Runs of the same input shapes almost always make the same shapes
// throughout, so the caches keyed by shapes check first what served the
// last run of the tag; a collision or a data-dependent shape only costs a
// scan, never a wrong result.
func (p *plan) shapeTag(st *runState) uint64 {
	h := uint64(0)
	for _, id := range p.inputIDs {
		if st.vals[id] == nil {
			return 0
		}
		h = tagShape(h, st.vals[id], -1)
	}
	return h
}

// tagShape adds t's element type and shape to the shape tag h (0 to
// start), with a first dimension of rows when rows >= 0 (a split run's
// part of the batch). The result is never 0.
func tagShape(h uint64, t *tensor.Tensor, rows int) uint64 {
	const prime = 1099511628211 // FNV-1a's, over whole words
	if h == 0 {
		h = 14695981039346656037
	}
	h = (h ^ uint64(t.DType())) * prime
	h = (h ^ uint64(t.Rank())) * prime
	for i, d := range t.Shape() {
		if i == 0 && rows >= 0 {
			d = rows
		}
		h = (h ^ uint64(d)) * prime
	}
	return max(h, 1)
}
