package native

import (
	"fmt"
	"slices"

	"github.com/inferd/inferd/tensor"
)

// Conv over 1-D and 2-D inputs: groups (including depthwise), strides,
// dilations, explicit pads or auto_pad, optional bias. The algorithm is
// chosen per input shape and cached (conv_plan.go): implicit GEMM, 1×1
// pointwise GEMM or packed im2col for grouped products, with the weights
// packed once at load when they are constant, and the tap kernel for
// groups with a single input channel (depthwise). Inputs with more than 2
// spatial dimensions run the direct N-D kernel of window_nd.go. The planner
// may fuse a residual Add and an activation into the kernel (fuse.go).

func init() { register("Conv", buildConv) }

type convKernel struct {
	win   window
	group int
	// spatial is the number of spatial axes, 0 until the input says.
	spatial int
	// packed holds each group's weights packed as sgemm A operands when
	// the weights are constant; wShape is their shape.
	packed []gemmOperand
	wShape []int
	// direct forces the N-D kernel, which accumulates in float64 (for
	// the exact integer convolutions).
	direct bool
	// Fused by the planner (fuse.go): residual adds the kernel's last
	// input to the output, act is applied last.
	residual bool
	act      *fusedAct
	// unfusedAdd is the kernel of the Add fused as residual, run as it
	// is when the operand's shape is not the output's.
	unfusedAdd kernel
	// setup caches the plan of the last input shape.
	setup *convSetupSlot
}

func buildConv(b *buildCtx) (kernel, error) {
	if !b.hasInput(0) || !b.hasInput(1) {
		return nil, b.errorf("Conv needs inputs X and W")
	}
	win, err := parseWindow(b, true)
	if err != nil {
		return nil, err
	}
	group, err := b.intAttr("group", 1)
	if err != nil {
		return nil, err
	}
	if group < 1 || group > 1<<20 {
		return nil, b.errorf("attribute group is %d, want at least 1", group)
	}
	k := &convKernel{win: win, group: int(group), spatial: win.rank(), setup: &convSetupSlot{}}
	w := b.constInput(1)
	if w != nil {
		if w.Rank() < 3 {
			return nil, b.errorf("Conv weights must have rank at least 3, got shape %v", w.Shape())
		}
		if k.spatial != 0 && k.spatial != w.Rank()-2 {
			return nil, b.errorf("attributes describe %d spatial dimensions, weights of shape %v have %d", k.spatial, w.Shape(), w.Rank()-2)
		}
		k.spatial = w.Rank() - 2
		if err := k.win.checkRank(k.spatial); err != nil {
			return nil, b.errorf("%v", err)
		}
	}
	if w != nil {
		if w.DType() != tensor.Float32 {
			return nil, b.errorf("Conv weights of type %v are not supported", w.DType())
		}
		if err := k.checkWeights(w.Shape()); err != nil {
			return nil, b.errorf("%v", err)
		}
		k.wShape = w.Shape()
		if (w.Shape()[1] != 1 || k.group == 1) && k.spatial <= 2 { // not depthwise: pack per group
			m, kg := w.Shape()[0]/k.group, w.Len()/w.Shape()[0]
			wd := tensor.Data[float32](w)
			for g := range k.group {
				k.packed = append(k.packed, prepackA(rowMajor(wd[g*m*kg:], kg, false), m, kg))
			}
		}
	}
	if bias := b.constInput(2); bias != nil && w != nil && (bias.Rank() != 1 || bias.Len() != w.Shape()[0]) {
		return nil, b.errorf("Conv bias of shape %v does not match %d output channels", bias.Shape(), w.Shape()[0])
	}
	return k, nil
}

// checkWeights validates a weight shape against the attributes.
func (k *convKernel) checkWeights(ws []int) error {
	for _, d := range ws[2:] {
		if d < 1 {
			return fmt.Errorf("weights of shape %v have an empty kernel", ws)
		}
	}
	if ws[0]%k.group != 0 {
		return fmt.Errorf("%d output channels are not divisible by group %d", ws[0], k.group)
	}
	if k.win.kernel != nil {
		for i, d := range k.win.kernel {
			if ws[2+i] != d {
				return fmt.Errorf("kernel_shape %v does not match weights of shape %v", k.win.kernel, ws)
			}
		}
	}
	return nil
}

// convArgs are a Conv step's operands: bias and residual may be nil.
type convArgs struct{ x, w, bias, residual *tensor.Tensor }

// args takes the step's operands from in (the residual last, when fused)
// and checks their types and shapes against each other and the kernel.
func (k *convKernel) args(in []*tensor.Tensor) (convArgs, error) {
	a := convArgs{x: in[0], w: in[1]}
	if k.residual {
		a.residual, in = in[len(in)-1], in[:len(in)-1]
	}
	if len(in) > 2 {
		a.bias = in[2]
	}
	if err := sameDType("Conv", a.x, a.w, a.bias); err != nil {
		return a, err
	}
	if a.x.DType() != tensor.Float32 {
		return a, dtypeError("Conv", a.x.DType())
	}
	xs, ws := a.x.Shape(), a.w.Shape()
	r := len(xs) - 2
	if r < 1 || len(ws) != len(xs) || (k.spatial != 0 && r != k.spatial) {
		return a, fmt.Errorf("Conv input of shape %v does not fit weights of shape %v", xs, ws)
	}
	if err := k.checkWeights(ws); err != nil {
		return a, err
	}
	if c := xs[1]; c != ws[1]*k.group {
		return a, fmt.Errorf("Conv input has %d channels, weights of shape %v with group %d need %d", c, ws, k.group, ws[1]*k.group)
	}
	if m := ws[0]; a.bias != nil && (a.bias.Rank() != 1 || a.bias.Len() != m) {
		return a, fmt.Errorf("Conv bias of shape %v does not match %d output channels", a.bias.Shape(), m)
	}
	return a, nil
}

// setupFor returns the setup for input and weight shapes xs and ws: the
// one of an earlier run, or a new one (with a plan for one or two spatial
// dimensions) that later runs find.
func (k *convKernel) setupFor(rc *runCtx, xs, ws []int) (*convSetup, error) {
	if cs := k.setup.lookup(xs, ws, rc.threads); cs != nil {
		return cs, nil
	}
	geo, err := k.win.resolve(xs[2:], ws[2:], false)
	if err != nil {
		return nil, fmt.Errorf("Conv: %w", err)
	}
	batch, c, m := xs[0], xs[1], ws[0]
	cs := &convSetup{xs: slices.Clone(xs), ws: slices.Clone(ws), geo: geo, yShape: append([]int{batch, m}, geo.out...)}
	if len(xs) <= 4 && !k.direct {
		cs.geo2D = geo.as2D()
		p := convProblem{geo: cs.geo2D, batch: batch, c: c, m: m, group: k.group}
		cs.plan = newConvPlan(&p, chooseConvAlgo(&p, k.packed != nil), rc.threads)
	}
	k.setup.store(cs)
	return cs, nil
}

func (k *convKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	a, err := k.args(in)
	if err != nil {
		return err
	}
	x, w, bias, residual := a.x, a.w, a.bias, a.residual
	xs, ws := x.Shape(), w.Shape()
	cs, err := k.setupFor(rc, xs, ws)
	if err != nil {
		return err
	}
	y := rc.alloc(tensor.Float32, cs.yShape)
	if y.Len() == 0 {
		out[0] = y
		return nil
	}
	var bd []float32
	if bias != nil {
		bd = tensor.Data[float32](bias)
	}
	var rd []float32
	if residual != nil {
		if residual.DType() != tensor.Float32 || !slices.Equal(residual.Shape(), cs.yShape) {
			// Not the shape fusion expects: the unfused Add broadcasts.
			return k.runUnfused(rc, x, w, bias, residual, out)
		}
		rd = tensor.Data[float32](residual)
	}
	batch, c, m := xs[0], xs[1], ws[0]
	if cs.plan == nil {
		convND(rc, &cs.geo, batch, c, m, k.group, tensor.Data[float32](x), tensor.Data[float32](w), bd, tensor.Data[float32](y))
		yd := tensor.Data[float32](y)
		for i, v := range rd {
			yd[i] += v
		}
		k.act.apply(yd)
		out[0] = y
		return nil
	}
	p := &convProblem{
		geo: cs.geo2D, batch: batch, c: c, m: m, group: k.group,
		x: tensor.Data[float32](x), w: tensor.Data[float32](w), bias: bd, y: tensor.Data[float32](y),
		residual: rd, act: k.act,
	}
	var packed []gemmOperand
	if k.packed != nil && len(k.wShape) == len(ws) && tensor.NumElements(k.wShape) == w.Len() {
		packed = k.packed
		if k.setup != nil {
			p.transW, p.winoW = &k.setup.trans, &k.setup.wino
		}
	}
	cs.plan.run(rc, p, packed)
	out[0] = y
	return nil
}

// runUnfused runs a convolution fused with Add and an activation as the
// three operators, for a residual operand the fused kernel cannot add in
// place (one that broadcasts).
func (k *convKernel) runUnfused(rc *runCtx, x, w, bias, residual *tensor.Tensor, out []*tensor.Tensor) error {
	plain := *k
	plain.residual, plain.act, plain.unfusedAdd = false, nil, nil
	in := []*tensor.Tensor{x, w}
	if bias != nil {
		in = append(in, bias)
	}
	y := make([]*tensor.Tensor, 1)
	if err := plain.run(rc, in, y); err != nil {
		return err
	}
	if err := k.unfusedAdd.run(rc, []*tensor.Tensor{y[0], residual}, out); err != nil {
		return err
	}
	if k.act != nil && out[0].DType() == tensor.Float32 {
		k.act.apply(tensor.Data[float32](out[0]))
	}
	return nil
}
