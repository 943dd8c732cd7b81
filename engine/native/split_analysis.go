package native

import (
	"slices"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Batch separability. A graph is batch-separable when every graph input
// and output has the batch on axis 0 and every node computes row i of its
// outputs' axis 0 from row i of its batched inputs alone (and from
// constants): running it on rows [lo, hi) of every input then gives rows
// [lo, hi) of every output, bit for bit. Such a graph can run a large
// batch as sub-batches that stay in cache, and on two threads as
// independent halves with no barrier between operators (split_run.go).
//
// The analysis walks the unfused steps (after constant folding, so that
// the shapes of constants are known) with one rule per operator. A rule
// sees which inputs are batched (and their ranks) and which are constant,
// checks the attributes that decide whether axis 0 stays independent
// (Softmax's axis, Transpose's perm[0], a Reshape's target shape, …), and
// gives its outputs' ranks. Anything else, an operator without a rule or
// an input that is neither batched nor constant, makes the graph not
// separable: it then always runs whole.

// splitInfo is what the analysis found, per value slot: the rank of each
// batched value (0: not batched) and, where known, its dimensions after
// axis 0 (-1 unknown).
type splitInfo struct {
	p     *plan
	opset int64
	rank  []int
	dims  [][]int
}

// splitRule checks a step whose inputs have been analysed and sets the
// ranks of its outputs; false means the step may mix rows.
type splitRule func(a *splitInfo, s step) bool

// batchSeparable reports whether p's graph g is batch-separable. It must
// run on the unfused steps.
func batchSeparable(p *plan, g *onnx.Graph, ids map[string]int, opset int64) bool {
	if len(p.inputIDs) == 0 || len(g.Outputs) == 0 {
		return false
	}
	a := &splitInfo{p: p, opset: opset, rank: make([]int, p.numValues), dims: make([][]int, p.numValues)}
	for i, id := range p.inputIDs {
		in := p.graphInputs[i].Type
		if in.Kind != onnx.KindTensor || !in.HasRank || len(in.Shape) == 0 || in.Shape[0].Value >= 0 || !splitDType(in.DType) {
			return false
		}
		a.rank[id] = len(in.Shape)
		d := make([]int, len(in.Shape)-1)
		for j := range d {
			d[j] = int(in.Shape[j+1].Value)
		}
		a.dims[id] = d
	}
	for _, s := range p.steps {
		if s.values != nil || s.node.Domain != "" && s.node.Domain != "ai.onnx" {
			return false
		}
		rule := splitRules[s.node.OpType]
		if rule == nil || !a.inputsKnown(s) || !rule(a, s) {
			return false
		}
	}
	for _, o := range g.Outputs {
		id, ok := ids[o.Name]
		if !ok || a.rank[id] == 0 {
			return false
		}
	}
	return true
}

// splitDType reports whether tensors of dt can be cut into rows and copied
// back (split_run.go's copyElems); a graph output of another
// type makes its runs fall back to running whole.
func splitDType(dt tensor.DType) bool {
	switch dt {
	case tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Uint8, tensor.Int8, tensor.Bool:
		return true
	}
	return false
}

// inputsKnown reports whether every input of s is batched or constant.
func (a *splitInfo) inputsKnown(s step) bool {
	for _, id := range s.in {
		if id >= 0 && a.rank[id] == 0 && a.p.consts[id] == nil {
			return false
		}
	}
	return slices.ContainsFunc(s.in, func(id int) bool { return id >= 0 && a.rank[id] > 0 })
}

// batched returns the rank of slot id, 0 when it is not batched.
func (a *splitInfo) batched(id int) int {
	if id < 0 {
		return 0
	}
	return a.rank[id]
}

// constant returns the constant in slot id, nil when there is none.
func (a *splitInfo) constant(id int) *tensor.Tensor {
	if id < 0 {
		return nil
	}
	return a.p.consts[id]
}

// setOut marks every output of s batched with rank r.
func (a *splitInfo) setOut(s step, r int) bool {
	if r < 1 {
		return false
	}
	for _, id := range s.out {
		if id >= 0 {
			a.rank[id] = r
		}
	}
	return true
}

// onlyFirstBatched reports whether input 0 of s is batched and the others
// constant (or omitted).
func (a *splitInfo) onlyFirstBatched(s step) bool {
	if a.batched(s.in[0]) == 0 {
		return false
	}
	for _, id := range s.in[1:] {
		if id >= 0 && a.p.consts[id] == nil {
			return false
		}
	}
	return true
}

// constInts reads input i of s as constant integers.
func (a *splitInfo) constInts(s step, i int) ([]int, bool) {
	if i >= len(s.in) {
		return nil, false
	}
	c := a.constant(s.in[i])
	if c == nil {
		return nil, false
	}
	v, err := intsOf(c)
	return v, err == nil
}

// axesOf returns the axes a node names, from its attribute or (opset 13+
// style) its input i; ok is false when they are not constant.
func (a *splitInfo) axesOf(s step, i int) (axes []int, given, ok bool) {
	if s.node.Has("axes") {
		return toInts(s.node.AttrInts("axes", nil)), true, true
	}
	if i < len(s.in) && s.in[i] >= 0 {
		v, ok := a.constInts(s, i)
		return v, true, ok
	}
	return nil, false, true
}

// axisAbove0 reports whether axis, normalised against rank, is at least 1.
func axisAbove0(axis int64, rank int) bool {
	ax, ok := normAxis(axis, rank)
	return ok && ax >= 1
}

// noAxis0 reports whether none of axes, normalised against rank, is 0.
func noAxis0(axes []int, rank int) bool {
	for _, x := range axes {
		ax, ok := normAxis(int64(x), rank)
		if !ok || ax == 0 {
			return false
		}
	}
	return true
}
