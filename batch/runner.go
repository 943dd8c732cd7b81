package batch

import (
	"context"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// Wrap returns the batcher as a runner wrapper: a request goes through Do
// and records its timing (runner.TimingOf); the runner it wraps only
// lends its declarations, since the batcher's own Runner func runs the
// batched calls on the instances.
func (b *Batcher) Wrap() runner.Wrapper {
	return func(next runner.Runner) runner.Runner { return &batched{b: b, next: next} }
}

type batched struct {
	b    *Batcher
	next runner.Runner
}

func (r *batched) Inputs() []engine.TensorInfo  { return r.next.Inputs() }
func (r *batched) Outputs() []engine.TensorInfo { return r.next.Outputs() }

func (r *batched) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	out, t, err := r.b.Do(ctx, inputs)
	runner.RecordTiming(ctx, t)
	return out, err
}
