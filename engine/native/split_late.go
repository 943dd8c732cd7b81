package native

import (
	"context"
	"slices"
	"sync"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Late split analysis. A graph whose inputs have variable sizes besides
// the batch (a sequence length) is often separable only once those sizes
// are known: its Reshapes place the batch by the sizes of their inputs
// (split_rules.go's reshapeBatch). Such a plan keeps its unfused steps,
// without kernels, and analyses them again for each input shape its split
// runs meet, with every size but the batch's known; the verdicts are kept
// by input shape, up to lateVerdicts of them.

// lateSplit is a plan's run-time split analysis.
type lateSplit struct {
	// steps are the unfused steps, without kernels.
	steps []step
	outs  []int
	opset int64
	model *onnx.Model
	lim   *limits
	mu    sync.Mutex
	seen  map[lateKey]splitVerdict
}

// lateVerdicts bounds the verdicts a plan keeps: enough for every sequence
// length of unpadded text up to a few hundred tokens. When it is reached
// the verdicts are dropped and learned again.
const lateVerdicts = 512

// lateKey is an input shape as a map key: each input's rank and its sizes
// after axis 0, concatenated. Shapes with more than len(d) such numbers
// are not kept (they are analysed on every run).
type lateKey struct {
	n int
	d [16]int
}

// splitVerdict is the analysis of one input shape: whether the graph is
// separable for it, and then its outputs' batch axes.
type splitVerdict struct {
	ok   bool
	outs []batchAxis
}

// newLateSplit returns the run-time analysis of a plan whose graph is not
// separable at its declared shapes, nil when other shapes cannot change
// that (no input has a variable size after axis 0).
func newLateSplit(pl *planner, opset int64) *lateSplit {
	p, g := pl.p, pl.g
	variable := false
	for _, in := range p.graphInputs {
		t := in.Type
		if t.Kind != onnx.KindTensor || !t.HasRank || len(t.Shape) == 0 || t.Shape[0].Value >= 0 || !splitDType(t.DType) {
			return nil
		}
		for _, d := range t.Shape[1:] {
			variable = variable || d.Value < 0
		}
	}
	if !variable || len(p.inputIDs) == 0 || len(g.Outputs) == 0 {
		return nil
	}
	l := &lateSplit{steps: make([]step, len(p.steps)), opset: opset, model: pl.m, lim: pl.lim}
	for i, s := range p.steps {
		l.steps[i] = step{node: s.node, in: slices.Clone(s.in), out: slices.Clone(s.out), values: s.values}
	}
	for _, o := range g.Outputs {
		id, ok := pl.ids[o.Name]
		if !ok {
			return nil
		}
		l.outs = append(l.outs, id)
	}
	return l
}

// separableFor reports whether p's graph is separable for inputs of these
// shapes, and then its outputs' batch axes.
func (l *lateSplit) separableFor(p *plan, inputs map[string]*tensor.Tensor) ([]batchAxis, bool) {
	var key lateKey
	keep := true
	for _, in := range p.graphInputs {
		t := inputs[in.Name]
		shape := t.Shape()
		if len(shape) == 0 {
			return nil, false
		}
		if key.n+len(shape) > len(key.d) {
			keep = false
			break
		}
		key.d[key.n] = t.Rank()
		key.n += 1 + copy(key.d[key.n+1:], shape[1:])
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.seen[key]; ok && keep {
		return v.outs, v.ok
	}
	dims := make([][]int, len(p.graphInputs))
	for i, in := range p.graphInputs {
		dims[i] = inputs[in.Name].Shape()
	}
	a := &splitInfo{p: p, opset: l.opset, late: l}
	ok := a.separable(l.steps, l.outs, dims)
	if keep {
		if l.seen == nil || len(l.seen) >= lateVerdicts {
			l.seen = make(map[lateKey]splitVerdict)
		}
		l.seen[key] = splitVerdict{ok: ok, outs: a.outAxes}
	}
	return a.outAxes, ok
}

// build returns the kernel of an unfused step for constant inputs in, nil
// when it cannot be built.
func (l *lateSplit) build(s step, in []*tensor.Tensor) kernel {
	if l == nil {
		return nil
	}
	def, ok := lookupOp(s.node.Domain, s.node.OpType, l.opset)
	if !ok {
		return nil
	}
	bc := &buildCtx{node: s.node, opset: l.opset, consts: in, threads: 1, lim: l.lim, model: l.model, ctx: context.Background()}
	k, err := def.build(bc)
	if err != nil {
		return nil
	}
	return wrapHalf(s.node, k)
}
