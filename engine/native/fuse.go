package native

import (
	"math"
	"slices"
	"strings"

	"github.com/inferd/inferd/tensor"
)

// Graph rewrites at load, after constant folding and dead-node removal,
// each removing a node whose work moves into the kernel before it:
//
//   - Conv followed by inference-mode BatchNormalization with constant
//     statistics: the normalisation is folded into the weights and bias.
//   - Conv followed by Add (a residual connection): the kernel adds the
//     other operand as it stores its output; if at run time that operand
//     does not have the output's shape, the kernel runs the Add unfused.
//   - MatMul with a constant B followed by Add of a constant vector (a
//     bias): the GEMM adds it as it stores (matmul.go).
//   - Transposes producing a batched MatMul's operands or reading its
//     product: the products read and write them in place (matmul_views.go).
//   - A LayerNorm written out as ReduceMean, Sub, Pow, Sqrt, Div, ...
//     becomes one step (fuse_layernorm.go).
//   - Groups of elementwise steps become one step (fuse_ew.go).
//   - Conv or Gemm followed by an activation (Relu, Clip, Sigmoid,
//     HardSwish, LeakyRelu, ...; see fusableActivation): applied by the
//     kernel to each block of output it stores.
//   - A 1×1 Conv whose output only a depthwise 3×3 Conv reads (MobileNetV2's
//     expansion): the pair runs in bands of rows (conv_expand.go).
//
// A node is only fused into its producer when it is the producer's single
// consumer and the intermediate value is not a graph output. The fused
// step runs at the position of the node it absorbed, when all the operands
// of both are available.

// fusionEnabled turns the rewrites on; tests turn them off to compare.
var fusionEnabled = true

// fuser holds the bookkeeping of the rewrites over a plan's steps.
type fuser struct {
	pl *planner
	// uses counts the readers of each value slot (steps and graph
	// outputs); producer maps a slot to the index of the step writing it.
	uses     []int
	producer map[int]int
	removed  []bool
}

// fuse applies the rewrites to pl's steps.
func (pl *planner) fuse() error {
	f := &fuser{pl: pl}
	f.index()
	if err := f.foldBatchNorms(); err != nil {
		return err
	}
	f.fuseResiduals()
	f.fuseMatMulBias()
	f.fuseMatMulTransposes()
	f.fuseLayerNorms()
	f.fuseElementwise()
	f.fuseActivations()
	f.fuseExpandDepthwise()
	var steps []step
	for i, st := range pl.p.steps {
		if !f.removed[i] {
			steps = append(steps, st)
		}
	}
	pl.p.fused += len(pl.p.steps) - len(steps)
	pl.p.steps = steps
	return nil
}

func (f *fuser) index() {
	p := f.pl.p
	f.uses = make([]int, p.numValues)
	f.producer = map[int]int{}
	f.removed = make([]bool, len(p.steps))
	for i, st := range p.steps {
		for _, id := range st.in {
			if id >= 0 {
				f.uses[id]++
			}
		}
		for _, id := range st.out {
			if id >= 0 {
				f.producer[id] = i
			}
		}
	}
	for _, o := range f.pl.g.Outputs {
		if id, ok := f.pl.ids[o.Name]; ok {
			f.uses[id]++
		}
	}
}

// grow extends uses for slots created during the rewrites.
func (f *fuser) grow() {
	for len(f.uses) < f.pl.p.numValues {
		f.uses = append(f.uses, 0)
	}
}

// soleProducer returns the index of the step that writes slot id when the
// step at consumer is that value's only reader and the producer's kernel
// (without its float16 wrapper) is one of the fusable kinds.
func (f *fuser) soleProducer(id, consumer int) (int, bool) {
	if id < 0 || f.uses[id] != 1 || f.pl.p.consts[id] != nil {
		return 0, false
	}
	i, ok := f.producer[id]
	if !ok || f.removed[i] || i >= consumer {
		return 0, false
	}
	st := f.pl.p.steps[i]
	if st.values != nil || !singleOutput(st) {
		return 0, false
	}
	return i, true
}

// singleOutput reports whether a step writes exactly one value (its first
// output; the others omitted).
func singleOutput(st step) bool {
	for i, id := range st.out {
		if (i == 0) != (id >= 0) {
			return false
		}
	}
	return len(st.out) > 0
}

// merge replaces the consumer step at c by the producer at p with kernel
// k, writing the consumer's outputs, with the extra inputs appended.
func (f *fuser) merge(p, c int, k kernel, extra ...int) {
	steps := f.pl.p.steps
	st := steps[p]
	st.kernel = wrapHalf(st.node, k)
	st.in = append(slices.Clone(st.in), extra...)
	st.out = slices.Clone(steps[c].out)
	steps[c] = st
	f.removed[p] = true
	for _, id := range st.out {
		f.producer[id] = c
	}
}

func unwrapHalf(k kernel) kernel {
	if h, ok := k.(*halfKernel); ok {
		return h.k
	}
	return k
}

// fuseResiduals fuses Add into the Conv producing one of its operands.
func (f *fuser) fuseResiduals() {
	for c, st := range f.pl.p.steps {
		if f.removed[c] || st.node.OpType != "Add" || normDomain(st.node.Domain) != "" ||
			len(st.in) != 2 || !singleOutput(st) || len(st.node.Attrs) != 0 {
			continue
		}
		best, other := -1, -1
		for i, id := range st.in {
			p, ok := f.soleProducer(id, c)
			if !ok {
				continue
			}
			ck, ok := unwrapHalf(f.pl.p.steps[p].kernel).(*convKernel)
			// A constant operand (a bias that broadcasts) is left to the
			// elementwise fusion.
			if !ok || ck.residual || ck.act != nil || st.in[1-i] == id || f.pl.p.consts[st.in[1-i]] != nil {
				continue
			}
			if p > best {
				best, other = p, st.in[1-i]
			}
		}
		if best < 0 {
			continue
		}
		ck := *unwrapHalf(f.pl.p.steps[best].kernel).(*convKernel)
		ck.residual, ck.unfusedAdd = true, st.kernel
		f.merge(best, c, &ck, other)
	}
}

// fuseActivations fuses activations into the Conv or Gemm producing
// their input.
func (f *fuser) fuseActivations() {
	for c, st := range f.pl.p.steps {
		if f.removed[c] || len(st.in) == 0 || !singleOutput(st) {
			continue
		}
		act := f.fusableActivation(st)
		if act == nil {
			continue
		}
		p, ok := f.soleProducer(st.in[0], c)
		if !ok {
			continue
		}
		switch k := unwrapHalf(f.pl.p.steps[p].kernel).(type) {
		case *convKernel:
			if k.act == nil {
				fk := *k
				fk.act = act
				f.merge(p, c, &fk)
			}
		case *gemmKernel:
			if k.act == nil {
				fk := *k
				fk.act = act
				f.merge(p, c, &fk)
			}
		case *matMulKernel:
			if fk := k.withAct(act); fk != nil {
				f.merge(p, c, fk)
			}
		}
	}
}

// fusedFuncs are the float32 activations fused as a function applied after
// the kernel, by operator.
var fusedFuncs = map[string]bool{
	"LeakyRelu": true, "Sigmoid": true, "Tanh": true, "HardSigmoid": true, "HardSwish": true,
	"Elu": true, "Selu": true, "Celu": true, "Softplus": true, "Softsign": true, "ThresholdedRelu": true,
	"Gelu": true,
}

// isUnaryGroup reports whether k is a fused elementwise group computing a
// function of one tensor.
func isUnaryGroup(k kernel) bool {
	ek, ok := k.(*ewKernel)
	return ok && ek.unary
}

// fusableActivation returns the activation a step computes, or nil when it
// is not an activation the kernels fuse (Clip only with constant bounds).
func (f *fuser) fusableActivation(st step) *fusedAct {
	n := st.node
	if normDomain(n.Domain) != "" || st.values != nil {
		return nil
	}
	k := unwrapHalf(st.kernel)
	switch {
	case n.OpType == "Relu":
		return &fusedAct{op: "Relu", clamp: true, lo: 0, hi: float32(math.Inf(1))}
	case n.OpType == "Clip":
		ck, ok := k.(*clipKernel)
		if !ok {
			return nil
		}
		lo, hi := ck.attrLo, ck.attrHi
		if ck.fromInputs {
			for i, bound := range []*float64{&lo, &hi} {
				if len(st.in) <= i+1 || st.in[i+1] < 0 {
					continue
				}
				c := f.pl.p.consts[st.in[i+1]]
				if c == nil || c.DType() != tensor.Float32 || c.Len() != 1 {
					return nil
				}
				*bound = float64(tensor.Data[float32](c)[0])
			}
		}
		return &fusedAct{op: "Clip", clamp: true, lo: float32(lo), hi: float32(hi)}
	case k != nil && isUnaryGroup(k):
		return &fusedAct{op: "Elementwise(" + strings.Join(k.(*ewKernel).ops, ",") + ")", fn: k.(*ewKernel).apply}
	case fusedFuncs[n.OpType] && len(st.in) == 1:
		if u, ok := k.(*unaryKernel); ok && u.f32 != nil {
			return &fusedAct{op: n.OpType, fn: u.f32}
		}
	}
	return nil
}

// foldBatchNorms folds inference-mode BatchNormalization into the Conv
// producing its input, when the weights, bias and statistics are constant.
func (f *fuser) foldBatchNorms() error {
	p := f.pl.p
	for c, st := range p.steps {
		bn, ok := unwrapHalf(st.kernel).(*batchNormKernel)
		if f.removed[c] || !ok || bn.scale == nil || st.node.OpType != "BatchNormalization" || !singleOutput(st) {
			continue
		}
		pi, ok := f.soleProducer(st.in[0], c)
		if !ok {
			continue
		}
		cs := p.steps[pi]
		ck, ok := unwrapHalf(cs.kernel).(*convKernel)
		if !ok || ck.residual || ck.act != nil || ck.direct || len(cs.in) < 2 {
			continue
		}
		w := p.consts[cs.in[1]]
		var b *tensor.Tensor
		if len(cs.in) > 2 && cs.in[2] >= 0 {
			if b = p.consts[cs.in[2]]; b == nil {
				continue
			}
		}
		if w == nil || w.DType() != tensor.Float32 || w.Rank() < 3 || w.Shape()[0] != len(bn.scale) ||
			b != nil && (b.DType() != tensor.Float32 || b.Len() != len(bn.scale)) {
			continue
		}
		fw, fb := foldedConvWeights(w, b, bn.scale, bn.shift)
		node := *cs.node
		base := cs.node.Outputs[0]
		node.Inputs = []string{cs.node.Inputs[0], base + "/bn_folded_weight", base + "/bn_folded_bias"}
		wID, bID := f.pl.newValue(node.Inputs[1]), f.pl.newValue(node.Inputs[2])
		p.consts[wID], p.consts[bID] = fw, fb
		f.grow()
		f.uses[wID], f.uses[bID] = 1, 1
		bc := &buildCtx{node: &node, opset: f.pl.m.Opset(node.Domain), consts: []*tensor.Tensor{nil, fw, fb},
			threads: f.pl.threads, lim: f.pl.lim, model: f.pl.m}
		k, err := buildConv(bc)
		if err != nil {
			return err
		}
		p.steps[pi].node = &node
		p.steps[pi].in = []int{cs.in[0], wID, bID}
		f.merge(pi, c, k)
	}
	return nil
}

// foldedConvWeights returns W·scale and b·scale + shift, per output
// channel (the first weight dimension).
func foldedConvWeights(w, b *tensor.Tensor, scale, shift []float64) (*tensor.Tensor, *tensor.Tensor) {
	m := len(scale)
	wd := tensor.Data[float32](w)
	per := len(wd) / m
	fw := make([]float32, len(wd))
	fb := make([]float32, m)
	for o := range m {
		for i, v := range wd[o*per : (o+1)*per] {
			fw[o*per+i] = float32(float64(v) * scale[o])
		}
		var bias float64
		if b != nil {
			bias = float64(tensor.Data[float32](b)[o])
		}
		fb[o] = float32(bias*scale[o] + shift[o])
	}
	return tensor.MustFromSlice(fw, w.Shape()...), tensor.MustFromSlice(fb, m)
}
