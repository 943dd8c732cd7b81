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
// concurrent runs. The main graph and every subgraph (the bodies of If,
// Loop and Scan) have one.
type plan struct {
	// numValues is the number of value slots a run needs.
	numValues int
	// consts holds the value of each constant slot (initializers and
	// folded nodes), nil elsewhere; a run starts from a copy.
	consts []*tensor.Tensor
	// constKeys identifies the buffers of constants, so that outputs
	// sharing them are copied before they reach the caller.
	constKeys map[any]bool

	// graphInputs and graphOutputs are the graph's inputs (without
	// initializers) and outputs in order, with their slots.
	graphInputs  []onnx.ValueInfo
	inputIDs     []int
	graphOutputs []onnx.ValueInfo
	outputIDs    []int
	// outerIDs are the slots of the enclosing graphs' values a subgraph
	// uses, in the order its node passes them (after its own inputs).
	outerIDs []int

	// inputs and outputs describe the tensor interface (Session.Run):
	// the tensor inputs and outputs, ZipMap outputs in their dense form.
	inputs  []engine.TensorInfo
	outputs []engine.TensorInfo
	// zipMaps holds the labels of the outputs produced by ZipMap, by
	// output slot.
	zipMaps map[int]*zipMapKernel

	steps []step
	// fused counts the nodes the rewrites of fuse.go removed.
	fused int
	// separable is set when the main graph is batch-separable
	// (split_analysis.go).
	separable bool
	// splitOut are the batch axes of a separable graph's outputs;
	// splitStop names the node that makes it not separable (for the log).
	splitOut  []batchAxis
	splitStop string
	// late, for a graph not separable at its declared shapes, analyses
	// it again for the input shapes of its runs (split_late.go).
	late *lateSplit
	// calls recycles the run states of a subgraph's tensor calls.
	calls freeList[subCall]
}

// step is one node to execute.
type step struct {
	node   *onnx.Node
	kernel kernel
	// values is set for kernels over non-tensor values; valuesOnly when
	// they have no tensor path.
	values     valueKernel
	valuesOnly bool
	// in and out are value slots; -1 marks an omitted optional value. in
	// ends with the node's implicit inputs: the enclosing values its
	// subgraphs use.
	in, out []int
	// release lists the values whose last use is this step.
	release []int
	// memo, when set, remembers the step's last inputs and outputs
	// (memo.go).
	memo *stepMemo
}

// builder of a plan: value naming and constant tracking during load.
type planner struct {
	m       *onnx.Model
	g       *onnx.Graph
	threads int
	lim     *limits
	ids     map[string]int
	p       *plan
	// implicit lists, per node, the enclosing values its subgraphs use.
	implicit map[*onnx.Node][]string
}

// newPlan validates m and builds its plan.
func newPlan(ctx context.Context, m *onnx.Model, threads int, lim *limits) (*plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m == nil || m.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	var unsupported unsupportedError
	checkSupported(m, m.Graph, &unsupported)
	if unsupported.order != nil {
		return nil, &unsupported
	}
	for name, t := range m.Graph.Initializers {
		if err := lim.budget.charge(fmt.Sprintf("initializer %q", name), tensorBytes(t)); err != nil {
			return nil, err
		}
	}
	return buildPlan(ctx, m, m.Graph, threads, lim, nil, nil)
}

// buildPlan plans g. For a subgraph, outer names the enclosing values it
// uses and outerConsts their values when constant.
func buildPlan(ctx context.Context, m *onnx.Model, g *onnx.Graph, threads int, lim *limits, outer []string, outerConsts []*tensor.Tensor) (*plan, error) {
	pl := &planner{m: m, g: g, threads: threads, lim: lim, ids: map[string]int{}, p: &plan{constKeys: map[any]bool{}}}
	if err := pl.declareSources(outer, outerConsts); err != nil {
		return nil, err
	}
	pl.implicit = implicitInputs(g)
	order, err := pl.topoOrder()
	if err != nil {
		return nil, err
	}
	if err := pl.buildSteps(ctx, pl.liveNodes(order)); err != nil {
		return nil, err
	}
	if outer == nil && g == m.Graph {
		pl.p.separable = batchSeparable(pl.p, g, pl.ids, m.Opset(""))
		if !pl.p.separable {
			pl.p.late = newLateSplit(pl, m.Opset(""))
		}
	}
	if fusionEnabled {
		if err := pl.fuse(); err != nil {
			return nil, err
		}
	}
	if err := pl.declareOutputs(); err != nil {
		return nil, err
	}
	pl.computeLifetimes()
	pl.markMemos()
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

// declareSources gives slots to the graph inputs, initializers and the
// enclosing values a subgraph uses (which its own names shadow).
func (pl *planner) declareSources(outer []string, outerConsts []*tensor.Tensor) error {
	for i, name := range outer {
		pl.p.outerIDs = append(pl.p.outerIDs, pl.newValue(name))
		pl.p.consts[pl.p.outerIDs[i]] = outerConsts[i]
	}
	for name, t := range pl.g.Initializers {
		if t == nil {
			return fmt.Errorf("initializer %q has no value", name)
		}
		pl.p.consts[pl.newValue(name)] = t
	}
	seen := map[string]bool{}
	for _, in := range pl.g.Inputs {
		if seen[in.Name] {
			return fmt.Errorf("graph input %q is declared twice", in.Name)
		}
		seen[in.Name] = true
		id := pl.newValue(in.Name)
		pl.p.inputIDs = append(pl.p.inputIDs, id)
		pl.p.graphInputs = append(pl.p.graphInputs, in)
		if in.Type.Kind == onnx.KindTensor {
			pl.p.inputs = append(pl.p.inputs, engine.TensorInfo{Name: in.Name, DType: in.Type.DType, Shape: in.Type.IntShape()})
		}
	}
	return nil
}

// checkSupported adds every node of g and its subgraphs whose operator (at
// the imported opset) the registry lacks.
func checkSupported(m *onnx.Model, g *onnx.Graph, unsupported *unsupportedError) {
	for _, n := range g.Nodes {
		v := m.Opset(n.Domain)
		if _, ok := lookupOp(n.Domain, n.OpType, v); !ok {
			unsupported.add(n, v)
		}
		for _, sg := range subgraphs(n) {
			checkSupported(m, sg, unsupported)
		}
	}
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
			for _, in := range pl.nodeInputs(order[i]) {
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

// nodeInputs returns the node's inputs followed by its implicit inputs.
func (pl *planner) nodeInputs(n *onnx.Node) []string {
	if imp := pl.implicit[n]; len(imp) > 0 {
		return append(append([]string(nil), n.Inputs...), imp...)
	}
	return n.Inputs
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
		inputs := pl.nodeInputs(n)
		st := step{node: n, in: make([]int, len(inputs)), out: make([]int, len(n.Outputs))}
		bc := &buildCtx{node: n, opset: v, consts: make([]*tensor.Tensor, len(inputs)), threads: pl.threads,
			lim: pl.lim, model: pl.m, implicit: pl.implicit[n], ctx: ctx}
		allConst := !def.noFold
		for i, in := range inputs {
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
		st.kernel = wrapHalf(n, k)
		if vk, ok := k.(valueKernel); ok {
			st.values = vk
			_, st.valuesOnly = k.(valuesOnlyKernel)
			allConst = allConst && !st.valuesOnly
		}
		for i, o := range n.Outputs {
			st.out[i] = -1
			if o != "" {
				st.out[i] = pl.newValue(o)
			}
		}
		if zk, ok := k.(*zipMapKernel); ok && st.out[0] >= 0 {
			if pl.p.zipMaps == nil {
				pl.p.zipMaps = map[int]*zipMapKernel{}
			}
			pl.p.zipMaps[st.out[0]] = zk
			allConst = false
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
	rc := &runCtx{ctx: ctx, threads: pl.threads, maxBytes: pl.lim.tensorBytes}
	if err := runKernel(rc, st, in, out); err != nil {
		return fmt.Errorf("evaluating constant node %s: %w", st.node.Label(), err)
	}
	for i, id := range st.out {
		if id >= 0 {
			if out[i] == nil {
				return fmt.Errorf("node %s: output %d was not produced", st.node.Label(), i)
			}
			what := fmt.Sprintf("constant node %s output %d", st.node.Label(), i)
			if err := pl.lim.budget.charge(what, tensorBytes(out[i])); err != nil {
				return err
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
		pl.p.graphOutputs = append(pl.p.graphOutputs, o)
		switch zk := pl.p.zipMaps[id]; {
		case zk != nil:
			pl.p.outputs = append(pl.p.outputs, engine.TensorInfo{Name: o.Name, DType: tensor.Float32, Shape: []int{-1, zk.classes()}})
		case o.Type.Kind == onnx.KindTensor || o.Type.Kind == onnx.KindUnknown:
			pl.p.outputs = append(pl.p.outputs, engine.TensorInfo{Name: o.Name, DType: o.Type.DType, Shape: o.Type.IntShape()})
		}
	}
	for _, st := range pl.p.steps {
		for _, id := range st.in {
			if zk := pl.p.zipMaps[id]; zk != nil && id >= 0 {
				return fmt.Errorf("node %s: reading the output of ZipMap is not supported", st.node.Label())
			}
		}
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
