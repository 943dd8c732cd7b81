package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// Pipeline is a compiled pipeline version: a runner.Runner that runs each
// request through its steps.
type Pipeline struct {
	name    string
	version int
	g       *graph
	models  Models
	log     *slog.Logger
	obs     []stepObserver // by node
}

var _ runner.Runner = (*Pipeline)(nil)

// Inputs implements runner.Runner.
func (p *Pipeline) Inputs() []engine.TensorInfo { return p.g.inputs }

// Outputs implements runner.Runner.
func (p *Pipeline) Outputs() []engine.TensorInfo { return p.g.outputs }

// request is one run of the graph: each node's outputs (nil when
// missing), and how many of the nodes it reads have not ended yet.
type request struct {
	p       *Pipeline
	inputs  map[string]*tensor.Tensor
	outs    []map[string]*tensor.Tensor
	pending []atomic.Int32
	wg      sync.WaitGroup
	once    sync.Once
	first   error
	cancel  context.CancelCauseFunc
}

// Run implements runner.Runner. A step starts as soon as the steps it
// reads have ended, so independent steps run in parallel: the goroutine
// that ends a step goes on with the first step that this makes ready, and
// starts a goroutine for each other one (a chain runs on the caller's
// goroutine alone). The first hard step that fails cancels the others,
// and its error (naming the step) is the answer. Outputs whose step is
// missing are left out of the answer.
func (p *Pipeline) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	g := p.g
	r := &request{p: p, inputs: inputs, outs: make([]map[string]*tensor.Tensor, len(g.nodes)), pending: make([]atomic.Int32, len(g.nodes)), cancel: cancel}
	for i, n := range g.nodes {
		r.pending[i].Store(int32(len(n.deps)))
	}
	for _, i := range g.roots[1:] {
		r.wg.Go(func() { r.from(ctx, i) })
	}
	r.from(ctx, g.roots[0])
	r.wg.Wait()
	if r.first != nil {
		return nil, r.first
	}
	out := make(map[string]*tensor.Tensor, len(g.outputs))
	for k, o := range g.outputs {
		if t := r.value(g.outRefs[k]); t != nil {
			out[o.Name] = t
		}
	}
	return out, nil
}

// from runs node i, then the nodes that its end makes ready: the first on
// this goroutine, the others on their own.
func (r *request) from(ctx context.Context, i int) {
	for i >= 0 {
		r.node(ctx, i)
		next := -1
		for _, d := range r.p.g.dependents[i] {
			if r.pending[d].Add(-1) != 0 {
				continue
			}
			if next < 0 {
				next = d
			} else {
				r.wg.Go(func() { r.from(ctx, d) })
			}
		}
		i = next
	}
}

// node runs node i (unless the request has failed) and records its
// outputs or its error.
func (r *request) node(ctx context.Context, i int) {
	if ctx.Err() != nil {
		return
	}
	n := r.p.g.nodes[i]
	out, err := r.step(ctx, i)
	switch {
	case err == nil:
		r.outs[i] = out
	case n.soft:
		r.p.log.Warn("soft pipeline step failed; its outputs are missing", "pipeline", r.p.name, "version", r.p.version, "step", n.name, "err", err)
	default:
		r.once.Do(func() { r.first = err; r.cancel(err) })
	}
}

// step runs one node, unless an input it needs is missing or its
// condition does not hold (then its outputs are missing, nil and no
// error). Its error names the pipeline and the step.
func (r *request) step(ctx context.Context, i int) (map[string]*tensor.Tensor, error) {
	n, obs := r.p.g.nodes[i], r.p.obs[i]
	in := make(map[string]*tensor.Tensor, len(n.inputs))
	for name, ref := range n.inputs {
		if t := r.value(ref); t != nil {
			in[name] = t
		}
	}
	_, partial := n.op.(partialOp)
	if len(in) < len(n.inputs) && (!partial || len(in) == 0) || (n.when != nil && !r.holds(n.when)) {
		runner.RecordStep(ctx, runner.StepTiming{Name: n.name, Missing: true})
		return nil, nil
	}
	sctx := ctx
	if n.timeout > 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(ctx, n.timeout)
		defer cancel()
	}
	start := time.Now()
	out, err := r.p.exec(sctx, n, in)
	d := time.Since(start)
	obs.seconds.Observe(d.Seconds())
	cancelled := err != nil && context.Cause(ctx) != nil && !errors.Is(context.Cause(ctx), context.DeadlineExceeded) && ctx.Err() != nil
	obs.series.Request(err != nil && !cancelled, d)
	if err == nil {
		runner.RecordStep(ctx, runner.StepTiming{Name: n.name, Duration: d})
		return out, nil
	}
	runner.RecordStep(ctx, runner.StepTiming{Name: n.name, Missing: true})
	if cancelled {
		return nil, ctx.Err() // cancelled by another step's failure or the client: not this step's error
	}
	obs.errors.Inc()
	if n.timeout > 0 && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("timed out after %v: %w", n.timeout, err)
	}
	return nil, fmt.Errorf("pipeline %q step %q: %w", r.p.name, n.name, err)
}

// exec runs a model step on the version its model and version resolve to
// now, or a built-in step.
func (p *Pipeline) exec(ctx context.Context, n *node, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	if n.op != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return runOp(n.op, in)
	}
	v, err := p.models.Acquire(n.model, n.version)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	return v.Run(ctx, in)
}

// runOp runs a built-in step, turning a panic (a tensor that is not what
// its declaration said) into an error.
func runOp(o op, in map[string]*tensor.Tensor) (out map[string]*tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: %v", engine.ErrInvalidInput, r)
		}
	}()
	return o.run(in)
}

// value is the tensor r names, or nil when it is missing.
func (r *request) value(ref ref) *tensor.Tensor {
	if ref.step == "" {
		return r.inputs[ref.tensor]
	}
	i := r.p.g.index[ref.step]
	return r.outs[i][ref.tensor]
}

// holds evaluates a step's condition: any element (every element, with
// all) of the tensor compares to the value. A missing tensor holds
// nothing.
func (r *request) holds(c *condition) bool {
	t := r.value(c.ref)
	if t == nil {
		return false
	}
	xs := asFloats(t)
	if len(xs) == 0 {
		return c.all
	}
	for _, x := range xs {
		if c.compare(x, c.value) != c.all {
			return !c.all
		}
	}
	return c.all
}

// asFloats returns a numeric or boolean tensor's elements as float64.
func asFloats(t *tensor.Tensor) []float64 {
	var out []float64
	switch d := t.Data().(type) {
	case []float32:
		out = convert(d)
	case []float64:
		out = d
	case []int64:
		out = convert(d)
	case []int32:
		out = convert(d)
	case []uint8:
		out = convert(d)
	case []bool:
		out = make([]float64, len(d))
		for i, b := range d {
			if b {
				out[i] = 1
			}
		}
	}
	return out
}

func convert[T float32 | int64 | int32 | uint8](xs []T) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}
