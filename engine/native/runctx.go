package native

import (
	"context"
	"fmt"

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
func (rc *runCtx) alloc(dt tensor.DType, shape []int) *tensor.Tensor {
	if err := tensor.CheckShape(shape); err != nil {
		throwf("output %v", err)
	}
	if rc.arena == nil || dt == tensor.String {
		return tensor.New(dt, shape...)
	}
	return rc.arena.alloc(dt, shape)
}
