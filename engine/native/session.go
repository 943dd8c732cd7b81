package native

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// session is a loaded model. Everything but the arena pool is immutable
// after NewSession, so runs proceed concurrently.
type session struct {
	plan    *plan
	threads int
	log     *slog.Logger
	arenas  sync.Pool
}

// NewSession plans m for execution: it checks every node against the
// operator registry (failing with the list of all unsupported operators),
// validates attributes, evaluates constant subgraphs and pre-packs constant
// weights. Initializers that the graph also lists as inputs are treated as
// constants: the session's inputs are the graph inputs without a default.
// Load is NewSession on the decoded file.
func NewSession(ctx context.Context, m *onnx.Model, opts engine.Options) (engine.Session, error) {
	threads := opts.IntraOpThreads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p, err := newPlan(ctx, m, threads)
	if err != nil {
		return nil, err
	}
	s := &session{plan: p, threads: threads, log: opts.Log()}
	s.arenas.New = func() any { return newArena() }
	s.log.Debug("native: model planned", "nodes", len(m.Graph.Nodes), "steps", len(p.steps), "values", p.numValues, "threads", threads)
	return s, nil
}

func (s *session) Inputs() []engine.TensorInfo  { return cloneInfos(s.plan.inputs) }
func (s *session) Outputs() []engine.TensorInfo { return cloneInfos(s.plan.outputs) }
func (s *session) Close() error                 { return nil }

// Run executes the plan. Errors a kernel reports about the values it got
// (shapes that do not fit, indices out of range) wrap engine.ErrInvalidInput
// and name the node: the model was validated at load, so what fails at run
// time depends on the caller's inputs.
func (s *session) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	p := s.plan
	if err := engine.CheckInputs(p.inputs, inputs); err != nil {
		return nil, err
	}
	vals := make([]*tensor.Tensor, p.numValues)
	copy(vals, p.consts)
	for i, id := range p.inputIDs {
		vals[id] = inputs[p.inputs[i].Name]
	}
	ar := s.arenas.Get().(*arena)
	defer func() {
		ar.endRun()
		s.arenas.Put(ar)
	}()
	rc := &runCtx{ctx: ctx, threads: s.threads, arena: ar}
	var in, out []*tensor.Tensor
	for _, st := range p.steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in = in[:0]
		for _, id := range st.in {
			if id < 0 {
				in = append(in, nil)
			} else {
				in = append(in, vals[id])
			}
		}
		if cap(out) < len(st.out) {
			out = make([]*tensor.Tensor, len(st.out))
		}
		out = out[:len(st.out)]
		clear(out)
		if err := runKernel(rc, st, in, out); err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil, err
			}
			var ie *internalError
			if errors.As(err, &ie) {
				s.log.Error("native: kernel panicked", "node", st.node.Label(), "panic", ie.value, "stack", ie.stack)
			}
			return nil, fmt.Errorf("%w: node %s: %w", engine.ErrInvalidInput, st.node.Label(), err)
		}
		for i, id := range st.out {
			if id < 0 {
				continue
			}
			if out[i] == nil {
				return nil, fmt.Errorf("node %s: output %d was not produced", st.node.Label(), i)
			}
			vals[id] = out[i]
			ar.retain(out[i])
		}
		for _, id := range st.release {
			ar.release(vals[id])
			vals[id] = nil
		}
	}
	res := make(map[string]*tensor.Tensor, len(p.outputIDs))
	for i, id := range p.outputIDs {
		t := vals[id]
		if p.constKeys[bufKey(t)] {
			t = t.Clone() // never hand the caller the model's own constants
		}
		res[p.outputs[i].Name] = t
	}
	return res, nil
}

// internalError is a panic recovered from a kernel that was not a
// kernelError: a bug, or an input the kernel did not anticipate.
type internalError struct {
	value any
	stack string
}

func (e *internalError) Error() string { return fmt.Sprintf("internal error: %v", e.value) }

// runKernel runs one step's kernel, turning panics into errors.
func runKernel(rc *runCtx, st step, in, out []*tensor.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			switch v := r.(type) {
			case kernelError:
				err = v.err
			case workerPanic:
				err = &internalError{value: v.value, stack: v.stack}
			default:
				err = &internalError{value: r, stack: string(debug.Stack())}
			}
		}
	}()
	return st.kernel.run(rc, in, out)
}

func cloneInfos(infos []engine.TensorInfo) []engine.TensorInfo {
	out := make([]engine.TensorInfo, len(infos))
	for i, in := range infos {
		in.Shape = append([]int(nil), in.Shape...)
		if infos[i].Shape == nil {
			in.Shape = nil
		}
		out[i] = in
	}
	return out
}

var _ engine.Session = (*session)(nil)
