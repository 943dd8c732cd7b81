package native

import (
	"fmt"
	"slices"
	"sort"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Subgraphs (the branches of If, the bodies of Loop and Scan) are planned
// like the main graph. The values of enclosing graphs a subgraph uses are
// its node's implicit inputs: the planner appends their slots to the
// node's inputs, so that they are computed before the node, kept alive
// until it ran, and passed to it; the subgraph's plan declares them as
// sources ahead of its own names, which shadow them.

// subgraphs returns the graphs among n's attributes.
func subgraphs(n *onnx.Node) []*onnx.Graph {
	var gs []*onnx.Graph
	names := make([]string, 0, len(n.Attrs))
	for name := range n.Attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a := n.Attrs[name]
		if a.Graph != nil {
			gs = append(gs, a.Graph)
		}
		for _, g := range a.Graphs {
			if g != nil {
				gs = append(gs, g)
			}
		}
	}
	return gs
}

// freeNames returns the names g and its subgraphs use without defining.
func freeNames(g *onnx.Graph) map[string]bool {
	defined := map[string]bool{}
	for _, in := range g.Inputs {
		defined[in.Name] = true
	}
	for name := range g.Initializers {
		defined[name] = true
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			defined[o] = true
		}
	}
	free := map[string]bool{}
	use := func(name string) {
		if name != "" && !defined[name] {
			free[name] = true
		}
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			use(in)
		}
		for _, sg := range subgraphs(n) {
			for name := range freeNames(sg) {
				use(name)
			}
		}
	}
	for _, o := range g.Outputs {
		use(o.Name)
	}
	return free
}

// implicitInputs returns, for each node of g with subgraphs, the names of
// enclosing values they use, sorted.
func implicitInputs(g *onnx.Graph) map[*onnx.Node][]string {
	imp := map[*onnx.Node][]string{}
	for _, n := range g.Nodes {
		set := map[string]bool{}
		for _, sg := range subgraphs(n) {
			for name := range freeNames(sg) {
				set[name] = true
			}
		}
		if len(set) == 0 {
			continue
		}
		names := make([]string, 0, len(set))
		for name := range set {
			names = append(names, name)
		}
		sort.Strings(names)
		imp[n] = names
	}
	return imp
}

// subPlan plans the graph attribute name of b's node, which must be set.
// Its enclosing values are the node's implicit inputs.
func (b *buildCtx) subPlan(name string) (*plan, error) {
	a, ok := b.node.Attrs[name]
	if !ok || a.Graph == nil {
		return nil, b.errorf("graph attribute %s is required", name)
	}
	outerConsts := make([]*tensor.Tensor, len(b.implicit))
	for i := range b.implicit {
		outerConsts[i] = b.consts[len(b.consts)-len(b.implicit)+i]
	}
	p, err := buildPlan(b.ctx, b.model, a.Graph, b.threads, b.lim, b.implicit, outerConsts)
	if err != nil {
		return nil, fmt.Errorf("node %s: subgraph %s: %w", b.node.Label(), name, err)
	}
	return p, nil
}

// numExplicit is the number of the node's own inputs (before its implicit
// ones).
func (b *buildCtx) numExplicit() int { return len(b.node.Inputs) }

// call runs a subgraph's plan with its graph inputs and enclosing values,
// returning its outputs in order. Subgraph runs allocate fresh buffers
// (no arena): their values may outlive the call as loop state.
func (p *plan) call(rc *runCtx, inputs, outer []*onnx.Value) ([]*onnx.Value, error) {
	if len(inputs) != len(p.inputIDs) {
		return nil, fmt.Errorf("subgraph takes %d inputs, got %d", len(p.inputIDs), len(inputs))
	}
	st := newRunState(p)
	for i, id := range p.inputIDs {
		st.set(id, inputs[i])
	}
	for i, id := range p.outerIDs {
		if i < len(outer) {
			st.set(id, outer[i])
		}
	}
	sub := rc.sub()
	if err := p.exec(sub, st); err != nil {
		return nil, err
	}
	outs := make([]*onnx.Value, len(p.outputIDs))
	for i, id := range p.outputIDs {
		outs[i] = st.get(id)
		if outs[i] == nil {
			return nil, fmt.Errorf("subgraph output %q was not produced", p.graphOutputs[i].Name)
		}
		if t := outs[i].Tensor; t != nil && p.constKeys[bufKey(t)] {
			outs[i] = &onnx.Value{Kind: onnx.KindTensor, Tensor: t.Clone()}
		}
	}
	return outs, nil
}

// tensorOutputs reports whether every output of the graph is declared a
// tensor.
func (p *plan) tensorOutputs() bool {
	for _, o := range p.graphOutputs {
		if o.Type.Kind != onnx.KindTensor {
			return false
		}
	}
	return true
}

// subCall is the recycled state of one callTensors.
type subCall struct {
	st runState
	rc runCtx
}

// callTensors runs a subgraph without inputs of its own (an If branch)
// over the tensors outer of the enclosing graphs, writing its outputs to
// out. Unlike call it runs on the caller's arena, so that the branch's
// values are recycled like the caller's: the outer values are retained
// while the branch may release them, and the outputs it made are handed
// over to the caller, which retains them as its step's outputs.
func (p *plan) callTensors(rc *runCtx, outer, out []*tensor.Tensor) error {
	if len(p.inputIDs) != 0 {
		return fmt.Errorf("subgraph takes %d inputs, got none", len(p.inputIDs))
	}
	c := p.calls.take()
	if c == nil {
		c = &subCall{}
	}
	defer p.calls.keep(c)
	st := &c.st
	defer st.clear()
	st.reset(p)
	c.rc = runCtx{ctx: rc.ctx, threads: rc.threads, arena: rc.arena, maxBytes: rc.maxBytes, tag: rc.tag}
	a := rc.arena
	for i, id := range p.outerIDs {
		if i < len(outer) && outer[i] != nil {
			st.vals[id] = outer[i]
			if a != nil {
				a.retain(outer[i])
			}
		}
	}
	fresh := a != nil && a.fresh
	if fresh {
		a.fresh = false // for the branch's steps; its outputs are the caller's
	}
	err := p.exec(&c.rc, st)
	if fresh {
		a.fresh = true
	}
	if a != nil {
		for i, id := range p.outerIDs {
			if i < len(outer) && st.vals[id] != nil {
				a.disown(st.vals[id]) // not released by the branch
			}
		}
	}
	if err != nil {
		return err
	}
	return p.handOver(a, st, out)
}

// handOver moves a tensor call's outputs to out: copies of constants, and
// the caller's reference for those the branch made.
func (p *plan) handOver(a *arena, st *runState, out []*tensor.Tensor) error {
	for i, id := range p.outputIDs {
		t := st.vals[id]
		if t == nil {
			return fmt.Errorf("subgraph output %q was not produced as a tensor", p.graphOutputs[i].Name)
		}
		switch {
		case p.constKeys[bufKey(t)]:
			t = t.Clone()
		case a != nil && !slices.Contains(p.outerIDs, id):
			a.disown(t)
		}
		out[i] = t
	}
	return nil
}
