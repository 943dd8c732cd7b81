package runner

import (
	"context"
	"fmt"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// Check declares a runner's effective inputs and outputs (the config's,
// which may narrow the model's) and refuses requests that do not fit them
// before anything runs: missing or unknown inputs, wrong datatype, rank or
// fixed dimension, and NaN or infinities in an input for which allowNaN
// (may be nil) is false.
func Check(inputs, outputs []engine.TensorInfo, allowNaN func(input string) bool) Wrapper {
	return func(next Runner) Runner {
		return &checked{next: next, inputs: inputs, outputs: outputs, allowNaN: allowNaN}
	}
}

type checked struct {
	next            Runner
	inputs, outputs []engine.TensorInfo
	allowNaN        func(string) bool
}

func (c *checked) Inputs() []engine.TensorInfo  { return c.inputs }
func (c *checked) Outputs() []engine.TensorInfo { return c.outputs }

// Recycle implements engine.Recycler: checks hand outputs on as they are.
func (c *checked) Recycle(outputs []*tensor.Tensor) { Recycle(c.next, outputs) }

func (c *checked) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	if err := engine.CheckInputs(c.inputs, inputs); err != nil {
		return nil, err
	}
	// Of several inputs that are not finite, the error names the first
	// alphabetically (the same every time, whatever the map's order).
	bad, badErr := "", error(nil)
	for name, t := range inputs {
		if c.allowNaN != nil && c.allowNaN(name) || badErr != nil && name > bad {
			continue
		}
		if err := tensor.CheckFinite(t); err != nil {
			bad, badErr = name, err
		}
	}
	if badErr != nil {
		return nil, fmt.Errorf("%w: input %q: %v; NaN and infinities are not allowed (set allow_nan for this input in config.yaml)", engine.ErrInvalidInput, bad, badErr)
	}
	return c.next.Run(ctx, inputs)
}
