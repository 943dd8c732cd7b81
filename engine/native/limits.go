package native

import (
	"fmt"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// limits bounds the memory a session allocates from values it cannot
// know in advance: shapes computed from a request's tensors at run time,
// and the model's own constants at load. One check in runCtx.alloc covers
// every kernel that allocates through it.
type limits struct {
	// tensorBytes bounds one tensor; 0 means no limit.
	tensorBytes int64
	// budget counts the model's bytes while it loads; nil at run time.
	budget *loadBudget
}

// newLimits returns the limits opts ask for, with a load budget.
func newLimits(opts engine.Options) *limits {
	return &limits{
		tensorBytes: opts.TensorBytesLimit(),
		budget:      &loadBudget{max: opts.ModelBytesLimit()},
	}
}

// loadBudget counts the bytes a model takes while it loads: its
// initializers and the outputs of constant folding. Planning is
// sequential, so it needs no lock.
type loadBudget struct {
	used, max int64 // max 0 means no limit
}

// charge adds n bytes for what, failing when the total would exceed the
// budget.
func (b *loadBudget) charge(what string, n int64) error {
	if b == nil {
		return nil
	}
	if b.max > 0 && n > b.max-b.used {
		return fmt.Errorf("%s needs %d bytes, which would bring the model to %d bytes, more than the limit of %d bytes (max model bytes)",
			what, n, b.used+n, b.max)
	}
	b.used += n
	return nil
}

// elemBytes is the memory one element of dt takes: strings count their
// header (16 bytes).
func elemBytes(dt tensor.DType) int64 {
	if s := dt.Size(); s > 0 {
		return int64(s)
	}
	return 16
}

// tensorBytes is the memory t's elements take.
func tensorBytes(t *tensor.Tensor) int64 {
	if t == nil {
		return 0
	}
	return int64(t.Len()) * elemBytes(t.DType())
}

// checkBytes fails when n elements of dt exceed max bytes (0: no limit).
// shape is only for the message.
func checkBytes(max int64, dt tensor.DType, n int, shape []int) error {
	if max <= 0 {
		return nil
	}
	if b := int64(n) * elemBytes(dt); b > max {
		return fmt.Errorf("output %v of shape %v needs %d bytes, more than the limit of %d bytes per tensor (max tensor bytes)",
			dt, shape, b, max)
	}
	return nil
}
