package native

import (
	"context"
	"errors"
	"fmt"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// plan is a loaded graph ready to run: immutable after load and shared by
// concurrent runs.
type plan struct {
	// numValues is the number of value slots a run needs.
	numValues int
	// consts holds the value of each constant slot (initializers and
	// folded nodes), nil elsewhere; a run starts from a copy.
	consts []*tensor.Tensor
	// constKeys identifies the buffers of constants, so that outputs
	// sharing them are copied before they reach the caller.
	constKeys map[any]bool

	inputs    []engine.TensorInfo
	inputIDs  []int
	outputs   []engine.TensorInfo
	outputIDs []int

	steps []step
}

// step is one node to execute.
type step struct {
	node   *onnx.Node
	kernel kernel
	// in and out are value slots; -1 marks an omitted optional value.
	in, out []int
	// release lists the values whose last use is this step.
	release []int
}

// builder of a plan: value naming and constant tracking during load.
type planner struct {
	m       *onnx.Model
	g       *onnx.Graph
	threads int
	ids     map[string]int
	p       *plan
}

// newPlan validates m and builds its plan.
func newPlan(ctx context.Context, m *onnx.Model, threads int) (*plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m == nil || m.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	pl := &planner{m: m, g: m.Graph, threads: threads, ids: map[string]int{}, p: &plan{constKeys: map[any]bool{}}}
	if err := pl.declareSources(); err != nil {
		return nil, err
	}
	order, err := pl.topoOrder()
	if err != nil {
		return nil, err
	}
	if err := pl.checkSupported(order); err != nil {
		return nil, err
	}
	if err := pl.buildSteps(ctx, pl.liveNodes(order)); err != nil {
		return nil, err
	}
	if err := pl.declareOutputs(); err != nil {
		return nil, err
	}
	pl.computeLifetimes()
	for _, c := range pl.p.consts {
		if c != nil {
			if k := bufKey(c); k != nil {
				pl.p.constKeys[k] = true
			}
		}
	}
	return pl.p, nil
}

// newValue allocates a slot for name.
func (pl *planner) newValue(name string) int {
	id := pl.p.numValues
	pl.p.numValues++
	pl.ids[name] = id
	pl.p.consts = append(pl.p.consts, nil)
	return id
}

// declareSources gives slots to the graph inputs and initializers.
func (pl *planner) declareSources() error {
	for name, t := range pl.g.Initializers {
		if t == nil {
			return fmt.Errorf("initializer %q has no value", name)
		}
		pl.p.consts[pl.newValue(name)] = t
	}
	for _, in := range pl.g.Inputs {
		if _, dup := pl.ids[in.Name]; dup {
			return fmt.Errorf("graph input %q is declared twice", in.Name)
		}
		if in.Type.Kind != onnx.KindTensor {
			return fmt.Errorf("graph input %q has type %v; only tensors are supported", in.Name, in.Type)
		}
		pl.p.inputIDs = append(pl.p.inputIDs, pl.newValue(in.Name))
		pl.p.inputs = append(pl.p.inputs, engine.TensorInfo{Name: in.Name, DType: in.Type.DType, Shape: in.Type.IntShape()})
	}
	return nil
}

// checkSupported fails listing every node whose operator (at the imported
// opset) the registry lacks.
func (pl *planner) checkSupported(order []*onnx.Node) error {
	var unsupported unsupportedError
	for _, n := range order {
		v := pl.m.Opset(n.Domain)
		if _, ok := lookupOp(n.Domain, n.OpType, v); !ok {
			unsupported.add(n, v)
		}
	}
	if unsupported.order != nil {
		return &unsupported
	}
	return nil
}

// liveNodes drops nodes no graph output depends on.
func (pl *planner) liveNodes(order []*onnx.Node) []*onnx.Node {
	needed := map[string]bool{}
	for _, o := range pl.g.Outputs {
		needed[o.Name] = true
	}
	live := make([]bool, len(order))
	for i := len(order) - 1; i >= 0; i-- {
		for _, o := range order[i].Outputs {
			if o != "" && needed[o] {
				live[i] = true
			}
		}
		if live[i] {
			for _, in := range order[i].Inputs {
				needed[in] = true
			}
		}
	}
	var out []*onnx.Node
	for i, n := range order {
		if live[i] {
			out = append(out, n)
		}
	}
	return out
}

// buildSteps builds every node's kernel and evaluates the nodes whose
// inputs are all constant.
func (pl *planner) buildSteps(ctx context.Context, order []*onnx.Node) error {
	for _, n := range order {
		if err := ctx.Err(); err != nil {
			return err
		}
		v := pl.m.Opset(n.Domain)
		def, _ := lookupOp(n.Domain, n.OpType, v)
		st := step{node: n, in: make([]int, len(n.Inputs)), out: make([]int, len(n.Outputs))}
		bc := &buildCtx{node: n, opset: v, consts: make([]*tensor.Tensor, len(n.Inputs)), threads: pl.threads}
		allConst := !def.noFold
		for i, in := range n.Inputs {
			st.in[i] = -1
			if in == "" {
				continue
			}
			id := pl.ids[in]
			st.in[i] = id
			bc.consts[i] = pl.p.consts[id]
			if bc.consts[i] == nil {
				allConst = false
			}
		}
		k, err := def.build(bc)
		if err != nil {
			return err
		}
		st.kernel = k
		for i, o := range n.Outputs {
			st.out[i] = -1
			if o != "" {
				st.out[i] = pl.newValue(o)
			}
		}
		if allConst {
			if err := pl.fold(ctx, st, bc.consts); err != nil {
				return err
			}
			continue
		}
		pl.p.steps = append(pl.p.steps, st)
	}
	return nil
}

// fold runs a node whose inputs are all constant once, at load, turning its
// outputs into constants.
func (pl *planner) fold(ctx context.Context, st step, in []*tensor.Tensor) error {
	out := make([]*tensor.Tensor, len(st.out))
	rc := &runCtx{ctx: ctx, threads: pl.threads}
	if err := runKernel(rc, st, in, out); err != nil {
		return fmt.Errorf("evaluating constant node %s: %w", st.node.Label(), err)
	}
	for i, id := range st.out {
		if id >= 0 {
			if out[i] == nil {
				return fmt.Errorf("node %s: output %d was not produced", st.node.Label(), i)
			}
			pl.p.consts[id] = out[i]
		}
	}
	return nil
}

// declareOutputs resolves the graph outputs.
func (pl *planner) declareOutputs() error {
	for _, o := range pl.g.Outputs {
		id, ok := pl.ids[o.Name]
		if !ok {
			return fmt.Errorf("graph output %q is not produced by any node", o.Name)
		}
		pl.p.outputIDs = append(pl.p.outputIDs, id)
		pl.p.outputs = append(pl.p.outputs, engine.TensorInfo{Name: o.Name, DType: o.Type.DType, Shape: o.Type.IntShape()})
	}
	return nil
}

// computeLifetimes records, per step, the values that die after it: those
// no later step reads and no graph output names. A value no step reads is
// released right after the step that produced it.
func (pl *planner) computeLifetimes() {
	last := make([]int, pl.p.numValues)
	for i := range last {
		last[i] = -1
	}
	for i, st := range pl.p.steps {
		for _, id := range st.out {
			if id >= 0 {
				last[id] = i
			}
		}
		for _, id := range st.in {
			if id >= 0 && pl.p.consts[id] == nil {
				last[id] = i
			}
		}
	}
	for _, id := range pl.p.outputIDs {
		last[id] = -1
	}
	for id, i := range last {
		if i >= 0 {
			pl.p.steps[i].release = append(pl.p.steps[i].release, id)
		}
	}
}
