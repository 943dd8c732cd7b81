package native

import (
	"context"
	"fmt"
	"slices"

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
// with an error when the shape is invalid or too large.
// shape is not retained.
func (rc *runCtx) alloc(dt tensor.DType, shape []int) *tensor.Tensor {
	if !validShape(shape) {
		// A copy, so that shape does not escape.
		throwf("output %v", tensor.CheckShape(slices.Clone(shape)))
	}
	if rc.arena == nil || dt == tensor.String {
		return tensor.New(dt, shape...)
	}
	return rc.arena.alloc(dt, shape)
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
