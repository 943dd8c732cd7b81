package pipeline

import (
	"context"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// Models is what a pipeline needs of the models its steps name: the
// serving manager implements it. ref is a version number, a label, or ""
// for the model's default route.
type Models interface {
	// Resolve describes the version name and ref resolve to now, for
	// checking the graph against it.
	Resolve(name, ref string) (Target, error)
	// Acquire takes the version name and ref resolve to for one run; the
	// caller releases it.
	Acquire(name, ref string) (Member, error)
}

// Target describes a served model version.
type Target struct {
	Number int
	// State is the version's state (AVAILABLE, LOADING, FAILED, ...);
	// Available says whether it is AVAILABLE.
	State     string
	Available bool
	// Pipeline is set when the model is itself a pipeline; Calls are then
	// the pipelines it runs, directly or through others (a step may run a
	// pipeline that does not run the step's own pipeline).
	Pipeline        bool
	Calls           []string
	Inputs, Outputs []engine.TensorInfo
	// Labels are the class labels of its postprocess section (may be
	// empty); ImageInput is the input its image preprocessing fills ("").
	Labels     []string
	ImageInput string
}

// Member is a model version held for one run.
type Member interface {
	// Run runs the version's runner (its checks, batching and sessions).
	Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error)
	Release()
}
