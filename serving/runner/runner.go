package runner

import (
	"context"
	"errors"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// ErrClosed is returned by a runner whose sessions were closed (the
// version was unloaded under a request that outlived the drain timeout).
var ErrClosed = errors.New("model version unloaded")

// Runner runs tensors. Run is safe for concurrent use; it neither keeps
// nor modifies its inputs, and its outputs belong to the caller.
type Runner interface {
	// Inputs and Outputs declare the tensors Run takes and returns.
	Inputs() []engine.TensorInfo
	Outputs() []engine.TensorInfo
	// Run runs inputs (every declared input, by name) and returns every
	// declared output by name. Errors caused by the inputs wrap
	// engine.ErrInvalidInput.
	Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error)
}

// Wrapper decorates a runner: checks, batching, shadowing, capture.
type Wrapper func(Runner) Runner

// Chain wraps r in ws; ws[0] is the outermost, the first to see a request.
func Chain(r Runner, ws ...Wrapper) Runner {
	for i := len(ws) - 1; i >= 0; i-- {
		if ws[i] != nil {
			r = ws[i](r)
		}
	}
	return r
}

// Recycle hands outputs of r's runs that the caller has finished reading
// back to the engine sessions under r (engine.Recycler), which may write
// later outputs into their memory; the caller must not read them
// afterwards. It passes through the wrappers that hand a session's
// outputs on as they are (checks, timing, Split, Pool) and stops at any
// other (batching, shadowing, capture), which may still read them.
func Recycle(r Runner, outputs []*tensor.Tensor) {
	if rc, ok := r.(engine.Recycler); ok {
		rc.Recycle(outputs)
	}
}

// Func adapts a function to a Runner with the given declarations.
type Func struct {
	In, Out []engine.TensorInfo
	Fn      func(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error)
}

// Inputs implements Runner.
func (f *Func) Inputs() []engine.TensorInfo { return f.In }

// Outputs implements Runner.
func (f *Func) Outputs() []engine.TensorInfo { return f.Out }

// Run implements Runner.
func (f *Func) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	return f.Fn(ctx, inputs)
}

// BatchRows is the first dimension of the inputs (1 for scalars, 0 for
// none): the rows a call runs. Inputs of different rows (a request Split
// refuses) count as the most of them, whatever the map's order.
func BatchRows(inputs map[string]*tensor.Tensor) int {
	rows := 0
	for _, t := range inputs {
		n := 1
		if t.Rank() > 0 {
			n = t.Shape()[0]
		}
		rows = max(rows, n)
	}
	return rows
}
