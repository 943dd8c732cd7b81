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
	// requests are free requests (see request), for reuse.
	requests sync.Pool
	helpers  *helpers
}

var _ runner.Runner = (*Pipeline)(nil)

// Inputs implements runner.Runner.
func (p *Pipeline) Inputs() []engine.TensorInfo { return p.g.inputs }

// Outputs implements runner.Runner.
func (p *Pipeline) Outputs() []engine.TensorInfo { return p.g.outputs }

// request is one run of the graph: each node's outputs (nil when
// missing) and inputs, and how many of the nodes it reads have not ended
// yet. Requests are reused (Pipeline.get and put) with their slices and
// input maps, so that a run allocates little beyond what its steps make.
type request struct {
	p      *Pipeline
	inputs map[string]*tensor.Tensor
	outs   []map[string]*tensor.Tensor
	ins    []map[string]*tensor.Tensor
	// dsts are the maps that built-in steps fill (nil for model steps).
	dsts    []map[string]*tensor.Tensor
	pending []atomic.Int32
	wg      sync.WaitGroup
	mu      sync.Mutex
	first   error
	// failed is set once a hard step failed: the steps not started yet
	// do not start. erred is set once any step returned an error: its
	// runner may not be done with its input map, so the request is not
	// reused.
	failed, erred atomic.Bool
	cancel        context.CancelCauseFunc // nil for a serial graph
}

// Run implements runner.Runner. A step starts as soon as the steps it
// reads have ended, so independent steps run in parallel: the goroutine
// that ends a step goes on with the first step that this makes ready, and
// hands each other one to a helper (see helpers) or, when none is free,
// runs it after. A chain runs on the caller's goroutine alone, without a
// context of its own. The first hard step
// that fails cancels the others, and its error (naming the step) is the
// answer. Outputs whose step is missing are left out of the answer.
func (p *Pipeline) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	g := p.g
	r := p.get(inputs)
	defer p.put(r)
	if g.serial {
		r.from(ctx, g.roots[0])
	} else {
		r.parallel(ctx)
	}
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

// parallel runs the graph from every root, under a context that the
// first hard failure cancels.
func (r *request) parallel(ctx context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.cancel = cancel
	roots := r.p.g.roots
	var later []int
	for _, i := range roots[1:] {
		if !r.branch(ctx, i) {
			later = append(later, i)
		}
	}
	r.from(ctx, roots[0])
	for _, i := range later {
		r.from(ctx, i)
	}
	r.wg.Wait()
}

// get returns a request for inputs, reused when one is free.
func (p *Pipeline) get(inputs map[string]*tensor.Tensor) *request {
	r, _ := p.requests.Get().(*request)
	if r == nil {
		n := len(p.g.nodes)
		r = &request{p: p, outs: make([]map[string]*tensor.Tensor, n), ins: make([]map[string]*tensor.Tensor, n),
			dsts: make([]map[string]*tensor.Tensor, n), pending: make([]atomic.Int32, n)}
		for i, nd := range p.g.nodes {
			r.ins[i] = make(map[string]*tensor.Tensor, len(nd.inputs))
			if nd.op != nil {
				r.dsts[i] = map[string]*tensor.Tensor{}
			}
		}
	}
	r.inputs = inputs
	for i, nd := range p.g.nodes {
		r.pending[i].Store(int32(len(nd.deps)))
	}
	return r
}

// put makes r free for another request, unless a step's runner may still
// read its input map. It drops every reference to the request's tensors.
func (p *Pipeline) put(r *request) {
	if r.erred.Load() {
		return
	}
	r.inputs, r.first, r.cancel = nil, nil, nil
	r.failed.Store(false)
	clear(r.outs)
	for i, m := range r.ins {
		clear(m)
		clear(r.dsts[i])
	}
	p.requests.Put(r)
}

// from runs node i, then the nodes that its end makes ready: the first on
// this goroutine, the others on helpers, or on this goroutine too when no
// helper is free.
func (r *request) from(ctx context.Context, i int) {
	var later []int
	for i >= 0 {
		r.node(ctx, i)
		next := -1
		for _, d := range r.p.g.dependents[i] {
			switch {
			case r.pending[d].Add(-1) != 0:
			case next < 0:
				next = d
			case !r.branch(ctx, d):
				later = append(later, d)
			}
		}
		if next < 0 && len(later) > 0 {
			next, later = later[len(later)-1], later[:len(later)-1]
		}
		i = next
	}
}

// branch hands node i and what follows it to a helper; it reports false
// when no helper is free.
func (r *request) branch(ctx context.Context, i int) bool {
	r.wg.Add(1)
	if r.p.helpers.hand(func() { defer r.wg.Done(); r.from(ctx, i) }) {
		return true
	}
	r.wg.Done()
	return false
}

// node runs node i (unless the request has failed) and records its
// outputs or its error.
func (r *request) node(ctx context.Context, i int) {
	if r.failed.Load() || ctx.Err() != nil {
		return
	}
	n := r.p.g.nodes[i]
	out, err := r.step(ctx, i)
	if err != nil {
		r.erred.Store(true)
	}
	switch {
	case err == nil:
		r.outs[i] = out
	case n.soft:
		r.p.log.Warn("soft pipeline step failed; its outputs are missing", "pipeline", r.p.name, "version", r.p.version, "step", n.name, "err", err)
	default:
		r.fail(err)
	}
}

// fail records the first hard failure and cancels the steps running.
func (r *request) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.first != nil {
		return
	}
	r.first = err
	r.failed.Store(true)
	if r.cancel != nil {
		r.cancel(err)
	}
}

// step runs one node, unless an input it needs is missing or its
// condition does not hold (then its outputs are missing, nil and no
// error). Its error names the pipeline and the step.
func (r *request) step(ctx context.Context, i int) (map[string]*tensor.Tensor, error) {
	n, obs, in := r.p.g.nodes[i], r.p.obs[i], r.ins[i]
	for _, w := range n.wires {
		if t := r.value(w.from); t != nil {
			in[w.name] = t
		}
	}
	if len(in) < len(n.inputs) && (!n.partial || len(in) == 0) || (n.when != nil && !r.holds(n.when)) {
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
	out, err := r.p.exec(sctx, n, in, r.dsts[i])
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
// now, or a built-in step into dst.
func (p *Pipeline) exec(ctx context.Context, n *node, in, dst map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	if n.op != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := runOp(n.op, in, dst); err != nil {
			return nil, err
		}
		return dst, nil
	}
	v, err := p.models.Acquire(n.model, n.version)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	if n.at.Pipeline {
		ctx = runner.WithStepPrefix(ctx, n.name) // the inner pipeline's steps are n.name/STEP
	}
	return v.Run(ctx, in)
}

// runOp runs a built-in step, turning a panic (a tensor that is not what
// its declaration said) into an error.
func runOp(o op, in, dst map[string]*tensor.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", engine.ErrInvalidInput, r)
		}
	}()
	return o.run(in, dst)
}

// value is the tensor r names, or nil when it is missing.
func (r *request) value(ref ref) *tensor.Tensor {
	switch {
	case ref.step == "":
		return r.inputs[ref.tensor]
	case ref.node > 0:
		return r.outs[ref.node-1][ref.tensor]
	}
	return r.outs[r.p.g.index[ref.step]][ref.tensor]
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
