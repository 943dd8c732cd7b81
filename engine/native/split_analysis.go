package native

import (
	"context"
	"slices"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Batch separability. A graph is batch-separable when every graph input
// has the batch on axis 0, every output holds it on some axis, and every
// node computes the batch's row i of its outputs from row i of its batched
// inputs alone (and from constants): running it on rows [lo, hi) of every
// input then gives rows [lo, hi) of every output, bit for bit. Such a graph can run a large
// batch as sub-batches that stay in cache, and on two threads as
// independent halves with no barrier between operators (split_run.go).
//
// Past the inputs the batch need not stay on axis 0: each batched value
// has a batchAxis, the axis holding it and how the batch is interleaved
// with other factors there, as in the seq-first layout of PyTorch's
// attention ([seq, batch·heads, d], then [seq·batch, d]). Shape
// arithmetic is followed too (split_sym.go): Shape of a batched value is a
// vector whose batch entry is a multiple of the batch size, and Gather,
// Unsqueeze, Concat and integer arithmetic carry such values to the
// target of a Reshape, which then places the batch from the sizes of its
// input and target (reshapeBatch).
//
// The analysis walks the unfused steps (after constant folding, so that
// the shapes of constants are known) with one rule per operator. A rule
// sees which inputs are batched (where, and their ranks and sizes) and
// which are constant, checks the attributes that decide whether rows stay
// independent (Softmax's axis, a Reshape's target, …), and sets its
// outputs' batch axes and sizes. A step whose inputs are constants or
// shape values that do not depend on the batch size is evaluated. Anything
// else, an operator without a rule or an input that is neither batched nor
// known, makes the graph not separable: it then always runs whole.

// batchAxis says where a batched value holds the batch: for a batch of B
// rows its axis Axis has outer·B·inner entries, and row b owns those
// numbered o·B·inner + b·inner + i for o < outer, i < inner.
type batchAxis struct{ axis, outer, inner int }

// rowsAxis is the batch of graph inputs and outputs: plain rows of axis 0.
var rowsAxis = batchAxis{0, 1, 1}

// splitInfo is what the analysis found, per value slot: the rank of each
// batched value (0: not batched), its batch axis and, where known, its
// dimensions (-1 unknown, and at the batch axis); the constants it
// evaluated and the shape values that depend on the batch size.
type splitInfo struct {
	p     *plan
	opset int64
	// late is set for an analysis at run time (split_late.go), whose steps
	// have no kernels.
	late    *lateSplit
	rank    []int
	bax     []batchAxis
	dims    [][]int
	derived []*tensor.Tensor
	sym     []*symVal
	// outAxes are the graph outputs' batch axes, once separable.
	outAxes []batchAxis
	// stop names the node the analysis stopped at, if any.
	stop string
}

// splitRule checks a step with a batched input whose inputs have been
// analysed and sets its outputs; false means the step may mix rows.
type splitRule func(a *splitInfo, s step) bool

// batchSeparable reports whether p's graph g is batch-separable for
// inputs of the declared shapes. It must run on the unfused steps.
func batchSeparable(p *plan, g *onnx.Graph, ids map[string]int, opset int64) bool {
	if len(p.inputIDs) == 0 || len(g.Outputs) == 0 {
		return false
	}
	outs := make([]int, len(g.Outputs))
	for i, o := range g.Outputs {
		id, ok := ids[o.Name]
		if !ok {
			return false
		}
		outs[i] = id
	}
	dims := make([][]int, len(p.inputIDs))
	for i := range p.inputIDs {
		in := p.graphInputs[i].Type
		if in.Kind != onnx.KindTensor || !in.HasRank || len(in.Shape) == 0 || in.Shape[0].Value >= 0 || !splitDType(in.DType) {
			return false
		}
		dims[i] = in.IntShape()
	}
	a := &splitInfo{p: p, opset: opset}
	if !a.separable(p.steps, outs, dims) {
		p.splitStop = a.stop
		return false
	}
	p.splitOut = a.outAxes
	return true
}

// separable runs the analysis over steps for graph inputs of sizes dims
// (axis 0 the batch), the graph outputs being the slots outs. A malformed
// graph that trips a rule is not separable.
func (a *splitInfo) separable(steps []step, outs []int, dims [][]int) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	p, n := a.p, a.p.numValues
	a.rank, a.bax, a.dims = make([]int, n), make([]batchAxis, n), make([][]int, n)
	a.derived, a.sym = make([]*tensor.Tensor, n), make([]*symVal, n)
	for i, id := range p.inputIDs {
		d := slices.Clone(dims[i])
		d[0] = -1
		a.rank[id], a.bax[id], a.dims[id] = len(d), rowsAxis, d
	}
	for _, s := range steps {
		if s.values != nil || s.node.Domain != "" && s.node.Domain != "ai.onnx" || !a.step(s) {
			a.stop = s.node.Label()
			return false
		}
	}
	a.outAxes = make([]batchAxis, len(outs))
	for i, id := range outs {
		if a.rank[id] == 0 {
			return false
		}
		a.outAxes[i] = a.bax[id]
	}
	return true
}

// step analyses one step: evaluated when its inputs are all known
// constants, followed as shape arithmetic when none is batched, else
// checked by its operator's rule.
func (a *splitInfo) step(s step) bool {
	batched, syms := false, false
	for _, id := range s.in {
		switch {
		case id < 0 || a.constant(id) != nil:
		case a.rank[id] > 0:
			batched = true
		case a.sym[id] != nil:
			syms = true
		default:
			return false // neither batched nor known
		}
	}
	op := s.node.OpType
	switch {
	case !batched && !syms:
		return a.evaluate(s)
	case !batched:
		rule := symRules[op]
		return rule != nil && rule(a, s) && a.settle(s)
	case op == "Shape":
		return a.shapeOf(s) && a.settle(s)
	}
	for i, id := range s.in {
		if id >= 0 && a.sym[id] != nil && !(i == 1 && (op == "Reshape" || op == "Expand")) {
			return false
		}
	}
	rule := splitRules[op]
	return rule != nil && rule(a, s)
}

// evaluate runs a step whose inputs are all constant (some found by the
// analysis: the plan folded the others) and keeps its outputs as
// constants.
func (a *splitInfo) evaluate(s step) bool {
	def, ok := lookupOp(s.node.Domain, s.node.OpType, a.opset)
	if !ok || def.noFold || len(s.in) == 0 {
		return false
	}
	in := make([]*tensor.Tensor, len(s.in))
	for i, id := range s.in {
		in[i] = a.constant(id)
	}
	if s.kernel == nil {
		if s.kernel = a.late.build(s, in); s.kernel == nil {
			return false
		}
	}
	out := make([]*tensor.Tensor, len(s.out))
	rc := &runCtx{ctx: context.Background(), threads: 1, maxBytes: splitEvalBytes}
	if runKernel(rc, s, in, out) != nil {
		return false
	}
	for i, id := range s.out {
		if id >= 0 {
			if out[i] == nil {
				return false
			}
			a.derived[id] = out[i]
		}
	}
	return true
}

// splitEvalBytes bounds a tensor the analysis evaluates.
const splitEvalBytes = 1 << 24

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

// batched returns the rank of slot id, 0 when it is not batched.
func (a *splitInfo) batched(id int) int {
	if id < 0 {
		return 0
	}
	return a.rank[id]
}

// constant returns the constant in slot id (the plan's or one the
// analysis evaluated), nil when there is none.
func (a *splitInfo) constant(id int) *tensor.Tensor {
	if id < 0 {
		return nil
	}
	if c := a.p.consts[id]; c != nil {
		return c
	}
	return a.derived[id]
}

// setOut marks every output of s batched with rank r and batch axis bx,
// of unknown sizes.
func (a *splitInfo) setOut(s step, r int, bx batchAxis) bool {
	if r < 1 || bx.axis < 0 || bx.axis >= r || bx.outer < 1 || bx.inner < 1 {
		return false
	}
	for _, id := range s.out {
		if id >= 0 {
			a.rank[id], a.bax[id] = r, bx
			a.dims[id] = slices.Repeat([]int{-1}, r)
		}
	}
	return true
}

// setDims sets the sizes of output 0 of s (a copy of dims, of its rank),
// with the batch axis marked unknown.
func (a *splitInfo) setDims(s step, dims []int) {
	id := s.out[0]
	if id < 0 || len(dims) != a.rank[id] {
		return
	}
	d := slices.Clone(dims)
	d[a.bax[id].axis] = -1
	a.dims[id] = d
}

// first returns input 0's rank and batch axis.
func (a *splitInfo) first(s step) (int, batchAxis) {
	id := s.in[0]
	return a.batched(id), a.bax[max(id, 0)]
}

// onlyFirstBatched reports whether input 0 of s is batched and the others
// constant (or omitted).
func (a *splitInfo) onlyFirstBatched(s step) bool {
	if a.batched(s.in[0]) == 0 {
		return false
	}
	for _, id := range s.in[1:] {
		if id >= 0 && a.constant(id) == nil {
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

// normAxes normalises axes against rank; false when one is out of range.
func normAxes(axes []int, rank int) ([]int, bool) {
	out := make([]int, len(axes))
	for i, x := range axes {
		ax, ok := normAxis(int64(x), rank)
		if !ok {
			return nil, false
		}
		out[i] = ax
	}
	return out, true
}

// notBatchAxis reports whether axis, normalised against rank, is a valid
// axis other than ax.
func notBatchAxis(axis int64, rank, ax int) bool {
	n, ok := normAxis(axis, rank)
	return ok && n != ax
}
