package native

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// session is a loaded model. Everything but the runner pool is immutable
// after NewSession, so runs proceed concurrently.
type session struct {
	plan    *plan
	threads int
	// maxBytes bounds one tensor of a run (Options.MaxTensorBytes).
	maxBytes int64
	log      *slog.Logger
	// runners holds the runners of finished runs for the next ones: each
	// keeps the buffers of a run's intermediate values (its arena) and
	// its value slots, so that steady-state runs allocate little more
	// than their outputs. Unlike a sync.Pool it is not emptied by garbage
	// collections; it holds as many runners as runs have been concurrent.
	runners freeList[runner]
	// split is set when the plan is batch-separable (split_run.go).
	split *splitter
	// recycled holds the outputs callers handed back (recycle.go).
	recycled recycler
}

// runner is what a run of the main plan reuses from the previous ones.
type runner struct {
	arena *arena
	rc    runCtx
	st    runState
}

// getRunner takes a free runner, or a new one, ready for a run of p.
func (s *session) getRunner() *runner {
	r := s.runners.take()
	if r == nil {
		r = &runner{arena: newArena()}
		r.arena.ret = &s.recycled
	}
	r.st.reset(s.plan)
	return r
}

// putRunner returns a runner after a run, dropping its references to the
// run's values.
func (s *session) putRunner(r *runner) {
	r.arena.endRun()
	r.rc = runCtx{}
	r.st.clear()
	s.runners.keep(r)
}

// NewSession plans m for execution: it checks every node (of the graph and
// its subgraphs) against the operator registry, failing with the list of
// all unsupported operators, validates attributes, evaluates constant
// subgraphs and pre-packs constant weights. Initializers that the graph
// also lists as inputs are treated as constants: the session's inputs are
// the graph inputs without a default. Load is NewSession on the decoded
// file.
//
// The session implements engine.Session and, for models whose inputs or
// outputs are not all tensors, RunValues (see there). Inputs and Outputs
// describe the tensor interface: the tensor inputs and outputs, and the
// output of an ONNX-ML ZipMap in its dense form.
func NewSession(ctx context.Context, m *onnx.Model, opts engine.Options) (engine.Session, error) {
	threads := opts.IntraOpThreads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	lim := newLimits(opts)
	p, err := newPlan(ctx, m, threads, lim)
	if err != nil {
		return nil, err
	}
	s := &session{plan: p, threads: threads, maxBytes: lim.tensorBytes, log: opts.Log(), runners: freeList[runner]{limit: -1}}
	if p.separable || p.late != nil {
		s.split = &splitter{jobs: freeList[splitJob]{limit: -1}, weightBytes: p.constBytes()}
	}
	s.log.Debug("native: model planned", "nodes", len(m.Graph.Nodes), "steps", len(p.steps), "fused", p.fused,
		"values", p.numValues, "separable", p.separable, "split_stop", p.splitStop, "late_split", p.late != nil, "threads", threads, "gemm", defaultGemm().kern.Name, "taps", defaultTaps().Name)
	return s, nil
}

func (s *session) Inputs() []engine.TensorInfo  { return cloneInfos(s.plan.inputs) }
func (s *session) Outputs() []engine.TensorInfo { return cloneInfos(s.plan.outputs) }

// Close releases the runners and their buffers; the session still runs
// afterwards (with new ones).
func (s *session) Close() error {
	s.runners.drop()
	return nil
}

// Run executes the plan on tensors. It returns the outputs Outputs lists:
// every tensor output, and a ZipMap output as the [N, C] float32 tensor of
// its input, whose column j belongs to the ZipMap's j-th class label.
// Outputs of other kinds (sequences, maps, optionals) need RunValues, as
// do models with inputs of those kinds. Errors a kernel reports about the
// values it got (shapes that do not fit, indices out of range) wrap
// engine.ErrInvalidInput and name the node: the model was validated at
// load, so what fails at run time depends on the caller's inputs.
func (s *session) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	return s.run(ctx, inputs, nil)
}

// RunProfiled is Run calling step after every step of the plan (not those
// of subgraphs) with the node's name, its operator (with what fusion added
// to it, as in "Conv+Relu") and the time it took.
func (s *session) RunProfiled(ctx context.Context, inputs map[string]*tensor.Tensor, step func(node, op string, d time.Duration)) (map[string]*tensor.Tensor, error) {
	return s.run(ctx, inputs, step)
}

func (s *session) run(ctx context.Context, inputs map[string]*tensor.Tensor, step func(node, op string, d time.Duration)) (map[string]*tensor.Tensor, error) {
	p := s.plan
	if len(p.inputs) != len(p.graphInputs) {
		for _, in := range p.graphInputs {
			if in.Type.Kind != onnx.KindTensor {
				return nil, fmt.Errorf("%w: model input %q is a %s; run the model with RunValues", engine.ErrInvalidInput, in.Name, in.Type.Kind)
			}
		}
	}
	if err := engine.CheckInputs(p.inputs, inputs); err != nil {
		return nil, err
	}
	if step == nil {
		if res, ok, err := s.runSplit(ctx, inputs); ok {
			return res, err
		}
	}
	r := s.getRunner()
	defer s.putRunner(r)
	st := &r.st
	for i, id := range p.inputIDs {
		st.vals[id] = inputs[p.graphInputs[i].Name]
	}
	if err := s.exec(ctx, r, step); err != nil {
		return nil, err
	}
	res := make(map[string]*tensor.Tensor, len(p.outputIDs))
	for i, id := range p.outputIDs {
		t := st.vals[id]
		if t == nil {
			continue // not a tensor: RunValues returns it
		}
		if p.constKeys[bufKey(t)] {
			t = t.Clone() // never hand the caller the model's own constants
		}
		res[p.graphOutputs[i].Name] = t
	}
	s.recycled.issue(res, r.arena.owned)
	return res, nil
}

// RunValues executes the plan on ONNX values of any kind: every graph
// input by name, each of its declared kind (tensors also of their declared
// element type and shape). It returns every graph output, ZipMap outputs as
// sequences of maps from class label to probability. Errors caused by the
// inputs wrap engine.ErrInvalidInput.
func (s *session) RunValues(ctx context.Context, inputs map[string]*onnx.Value) (map[string]*onnx.Value, error) {
	p := s.plan
	tensors := map[string]*tensor.Tensor{}
	for _, in := range p.graphInputs {
		v, ok := inputs[in.Name]
		if !ok || v == nil {
			return nil, fmt.Errorf("%w: missing input %q", engine.ErrInvalidInput, in.Name)
		}
		if in.Type.Kind != onnx.KindUnknown && v.Kind != in.Type.Kind {
			return nil, fmt.Errorf("%w: input %q is a %s, model expects a %s", engine.ErrInvalidInput, in.Name, v.Kind, in.Type.Kind)
		}
		if v.Kind == onnx.KindTensor {
			if v.Tensor == nil {
				return nil, fmt.Errorf("%w: input %q has no tensor", engine.ErrInvalidInput, in.Name)
			}
			tensors[in.Name] = v.Tensor
		}
	}
	if len(inputs) != len(p.graphInputs) {
		return nil, fmt.Errorf("%w: got %d inputs, model has %d (%v)", engine.ErrInvalidInput, len(inputs), len(p.graphInputs), valueNames(p.graphInputs))
	}
	if err := engine.CheckInputs(p.inputs, tensors); err != nil {
		return nil, err
	}
	r := s.getRunner()
	defer s.putRunner(r)
	st := &r.st
	for i, id := range p.inputIDs {
		st.set(id, inputs[p.graphInputs[i].Name])
	}
	if err := s.exec(ctx, r, nil); err != nil {
		return nil, err
	}
	res := make(map[string]*onnx.Value, len(p.outputIDs))
	for i, id := range p.outputIDs {
		v := st.get(id)
		if zk := p.zipMaps[id]; zk != nil && v != nil && v.Kind == onnx.KindTensor {
			v = zk.toMaps(v.Tensor)
		} else {
			v = cloneValue(v)
		}
		res[p.graphOutputs[i].Name] = v
	}
	return res, nil
}

// exec runs the main plan with r's arena and slots and marks errors.
func (s *session) exec(ctx context.Context, r *runner, step func(node, op string, d time.Duration)) error {
	enterRun(s.threads)
	defer exitRun(s.threads)
	tag := s.plan.shapeTag(&r.st)
	r.arena.start(tag)
	r.rc = runCtx{ctx: ctx, threads: s.threads, arena: r.arena, maxBytes: s.maxBytes, onStep: step, outputs: s.plan.outputIDs, tag: tag}
	if err := s.plan.exec(&r.rc, &r.st); err != nil {
		return s.runError(err)
	}
	return nil
}

// runError wraps the error of a run of the main plan: cancellation as it
// is, anything else as invalid input (a kernel's panic is logged).
func (s *session) runError(err error) error {
	if isCancel(err) {
		return err
	}
	var ie *internalError
	if errors.As(err, &ie) {
		s.log.Error("native: kernel panicked", "error", err.Error(), "panic", ie.value, "stack", ie.stack)
	}
	return fmt.Errorf("%w: %w", engine.ErrInvalidInput, err)
}

// cloneValue deep-copies the tensors of v, so that the caller never holds
// the model's constants or buffers a later run reuses.
func cloneValue(v *onnx.Value) *onnx.Value {
	if v == nil {
		return nil
	}
	c := &onnx.Value{Kind: v.Kind}
	if v.Tensor != nil {
		c.Tensor = v.Tensor.Clone()
	}
	if v.Keys != nil {
		c.Keys = v.Keys.Clone()
	}
	if v.Elems != nil {
		c.Elems = make([]*onnx.Value, len(v.Elems))
		for i, e := range v.Elems {
			c.Elems[i] = cloneValue(e)
		}
	}
	c.Elem = cloneValue(v.Elem)
	return c
}

func valueNames(infos []onnx.ValueInfo) []string {
	names := make([]string, len(infos))
	for i, in := range infos {
		names[i] = in.Name
	}
	return names
}

// internalError is a panic recovered from a kernel that was not a
// kernelError: a bug, or an input the kernel did not anticipate.
type internalError struct {
	value any
	stack string
}

func (e *internalError) Error() string { return fmt.Sprintf("internal error: %v", e.value) }

// recovered turns a recovered panic into an error.
func recovered(r any) error {
	switch v := r.(type) {
	case kernelError:
		return v.err
	case workerPanic:
		return &internalError{value: v.value, stack: v.stack}
	}
	return &internalError{value: r, stack: string(debug.Stack())}
}

// runKernel runs one step's kernel, turning panics into errors.
func runKernel(rc *runCtx, st step, in, out []*tensor.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(r)
		}
	}()
	return st.kernel.run(rc, in, out)
}

func cloneInfos(infos []engine.TensorInfo) []engine.TensorInfo {
	out := make([]engine.TensorInfo, len(infos))
	for i, in := range infos {
		// A rank-0 shape stays empty, not nil (which means unknown).
		in.Shape = slices.Clone(in.Shape)
		out[i] = in
	}
	return out
}

var _ engine.ValueSession = (*session)(nil)
