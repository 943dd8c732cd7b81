package native

import (
	"fmt"
	"math"
	"slices"

	"github.com/inferd/inferd/tensor"
)

// A LayerNorm that an exporter wrote out as elementwise operators (opset
// before 17, or hand-written RMS-free layer norms),
//
//	m = ReduceMean(x, axes=[-1]); d = x − m; v = ReduceMean(d², axes=[-1])
//	y = d / Sqrt(v + ε) [· γ] [+ β]
//
// with d² as Pow(d, 2) or Mul(d, d) and γ, β constant vectors, becomes one
// step computing each row in two passes over it (statistics, then the
// normalised row), instead of eight passes with five intermediate
// tensors. Every intermediate must be read only inside the pattern.

// layerNormKernel is the fused form.
type layerNormKernel struct {
	eps         float32
	gamma, beta []float32 // nil when absent; one value broadcasts
}

// fuseLayerNorms replaces each decomposed LayerNorm by one step.
func (f *fuser) fuseLayerNorms() {
	steps := f.pl.p.steps
	for root := len(steps) - 1; root >= 0; root-- {
		if f.removed[root] || steps[root].node.OpType != "Div" {
			continue
		}
		members, k, x, ok := f.matchLayerNorm(root)
		if !ok {
			continue
		}
		last := members[len(members)-1]
		st := steps[last]
		st.kernel = wrapHalf(st.node, k)
		st.in = []int{x}
		steps[last] = st
		f.uses[x]-- // two readers (ReduceMean, Sub) become one
		for _, m := range members[:len(members)-1] {
			f.removed[m] = true
		}
	}
}

// matchLayerNorm matches the pattern whose Div is the step at div,
// returning its steps (the last one, Div or the γ Mul or the β Add, is
// where the fused step goes), the kernel and x's slot.
func (f *fuser) matchLayerNorm(div int) ([]int, *layerNormKernel, int, bool) {
	steps := f.pl.p.steps
	d, s := steps[div].in[0], steps[div].in[1]
	sqrt, ok := f.onlyFrom(s, "Sqrt", 1)
	if !ok {
		return nil, nil, 0, false
	}
	add, ok := f.onlyFrom(steps[sqrt].in[0], "Add", 1)
	if !ok {
		return nil, nil, 0, false
	}
	vi := 0
	eps, ok := f.scalarOperand(steps[add], 1)
	if !ok {
		vi = 1
		if eps, ok = f.scalarOperand(steps[add], 0); !ok {
			return nil, nil, 0, false
		}
	}
	varMean, ok := f.onlyFrom(steps[add].in[vi], "ReduceMean", 1)
	if !ok || !f.lastAxisMean(steps[varMean]) {
		return nil, nil, 0, false
	}
	sq, ok := f.onlyFrom(steps[varMean].in[0], "", 1)
	if !ok || !f.isSquareOf(steps[sq], d) {
		return nil, nil, 0, false
	}
	dUses := 2 // the square and the Div
	if steps[sq].node.OpType == "Mul" {
		dUses = 3
	}
	sub, ok := f.onlyFrom(d, "Sub", dUses)
	if !ok {
		return nil, nil, 0, false
	}
	x := steps[sub].in[0]
	mean, ok := f.onlyFrom(steps[sub].in[1], "ReduceMean", 1)
	if !ok || !f.lastAxisMean(steps[mean]) || steps[mean].in[0] != x {
		return nil, nil, 0, false
	}
	members := []int{mean, sub, sq, varMean, add, sqrt, div}
	k := &layerNormKernel{eps: eps}
	members, k.gamma = f.vectorTail(members, "Mul")
	members, k.beta = f.vectorTail(members, "Add")
	return members, k, x, true
}

// onlyFrom returns the step writing slot id when it is an op step (any
// op when op is "") of one float output read by exactly uses steps.
func (f *fuser) onlyFrom(id int, op string, uses int) (int, bool) {
	if id < 0 || f.uses[id] != uses || f.pl.p.consts[id] != nil {
		return 0, false
	}
	i, ok := f.producer[id]
	if !ok || f.removed[i] {
		return 0, false
	}
	st := f.pl.p.steps[i]
	if st.values != nil || !singleOutput(st) || normDomain(st.node.Domain) != "" ||
		op != "" && st.node.OpType != op || len(st.in) == 0 {
		return 0, false
	}
	return i, true
}

// scalarOperand returns input i of st as a float32 scalar constant.
func (f *fuser) scalarOperand(st step, i int) (float32, bool) {
	c := f.constScalar(st, i)
	if c == nil || c.DType() != tensor.Float32 {
		return 0, false
	}
	return tensor.Data[float32](c)[0], true
}

// lastAxisMean reports whether st is a ReduceMean over the last axis,
// keeping it.
func (f *fuser) lastAxisMean(st step) bool {
	n := st.node
	if n.AttrInt("keepdims", 1) != 1 {
		return false
	}
	axes := n.AttrInts("axes", nil)
	if len(st.in) > 1 && st.in[1] >= 0 {
		c := f.pl.p.consts[st.in[1]]
		if c == nil {
			return false
		}
		v, err := int64sOf(c)
		if err != nil {
			return false
		}
		axes = v
	}
	return slices.Equal(axes, []int64{-1})
}

// isSquareOf reports whether st computes d²: Pow(d, 2) or Mul(d, d).
func (f *fuser) isSquareOf(st step, d int) bool {
	switch st.node.OpType {
	case "Pow":
		c := f.constScalar(st, 1)
		if c == nil || st.in[0] != d {
			return false
		}
		e, err := scalarFloat(c)
		return err == nil && e == 2
	case "Mul":
		return len(st.in) == 2 && st.in[0] == d && st.in[1] == d
	}
	return false
}

// vectorTail extends members with the step reading the last one's output
// when it is op with a constant float32 vector (rank ≤ 1) as its other
// operand, returning the vector.
func (f *fuser) vectorTail(members []int, op string) ([]int, []float32) {
	steps := f.pl.p.steps
	last := members[len(members)-1]
	out := steps[last].out[0]
	if f.uses[out] != 1 {
		return members, nil
	}
	for i := last + 1; i < len(steps); i++ {
		st := steps[i]
		if f.removed[i] || !slices.Contains(st.in, out) {
			continue
		}
		if st.node.OpType != op || st.values != nil || !singleOutput(st) || len(st.in) != 2 {
			return members, nil
		}
		other := st.in[1]
		if st.in[1] == out {
			other = st.in[0]
		}
		c := f.pl.p.consts[other]
		if c == nil || c.DType() != tensor.Float32 || c.Rank() > 1 || other == out {
			return members, nil
		}
		return append(members, i), tensor.Data[float32](c)
	}
	return members, nil
}

func (k *layerNormKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	xs := x.Shape()
	if len(xs) == 0 {
		return fmt.Errorf("LayerNorm of a scalar")
	}
	n := xs[len(xs)-1]
	for _, v := range [][]float32{k.gamma, k.beta} {
		if len(v) > 1 && len(v) != n {
			return fmt.Errorf("LayerNorm: %d scale or bias values for rows of %d", len(v), n)
		}
	}
	y := rc.alloc(x.DType(), xs)
	if x.Len() > 0 {
		if x.DType() != tensor.Float32 {
			xv, err := floatsOf(x)
			if err != nil {
				return fmt.Errorf("LayerNorm: %w", err)
			}
			yv := make([]float64, len(xv))
			for r := 0; r < len(xv); r += n {
				k.row64(yv[r:r+n], xv[r:r+n])
			}
			castSlice(y.Data(), yv)
		} else {
			xv, yv := tensor.Data[float32](x), tensor.Data[float32](y)
			rows, grain := len(xv)/n, max(1, elemGrain/n)
			if rc.threads <= 1 || rows <= grain {
				k.rows32(yv, xv, n, 0, rows)
			} else {
				// A copy, so that k (often on the caller's stack) does not
				// escape.
				kc := *k
				parallelFor(rc.threads, rows, grain, func(lo, hi int) { kc.rows32(yv, xv, n, lo, hi) })
			}
		}
	}
	out[0] = y
	return nil
}

// rows32 normalises rows [lo, hi) of n values.
func (k *layerNormKernel) rows32(y, x []float32, n, lo, hi int) {
	if tk := defaultTaps(); tk.HasRowKernels() && len(k.gamma) == n && len(k.beta) == n {
		tk.LayerNormRows(y[lo*n:hi*n], x[lo*n:hi*n], k.gamma, k.beta, n, k.eps)
		return
	}
	if n <= shortNormRow && len(k.gamma) == n && len(k.beta) == n {
		for r := lo; r < hi; r++ {
			k.row32Short(y[r*n:(r+1)*n], x[r*n:(r+1)*n])
		}
		return
	}
	for r := lo; r < hi; r++ {
		k.row32(y[r*n:(r+1)*n], x[r*n:(r+1)*n])
	}
}

// row32 normalises one float32 row (statistics in float64).
func (k *layerNormKernel) row32(d, x []float32) {
	mean := float32(rowSum(x) / float64(len(x)))
	ss := rowSumSq(x, mean)
	inv := float32(1 / math.Sqrt(float64(float32(ss/float64(len(x)))+k.eps)))
	tk := defaultTaps()
	if tk.Width > 1 {
		w := [1]float32{inv}
		tk.Sum(d, x, ewOffsets, w[:], -mean*inv, false, 0, 0)
	} else {
		for i, v := range x {
			d[i] = (v - mean) * inv
		}
	}
	k.scaleShift(d)
}

// rowSumSq is the float64 sum of (v − mean)² over x (each square in
// float32), over four independent chains like rowSum.
func rowSumSq(x []float32, mean float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		e0, e1, e2, e3 := x[i]-mean, x[i+1]-mean, x[i+2]-mean, x[i+3]-mean
		s0 += float64(e0 * e0)
		s1 += float64(e1 * e1)
		s2 += float64(e2 * e2)
		s3 += float64(e3 * e3)
	}
	for ; i < len(x); i++ {
		e := x[i] - mean
		s0 += float64(e * e)
	}
	return (s0 + s1) + (s2 + s3)
}

// scaleShift applies γ and β to a normalised row.
func (k *layerNormKernel) scaleShift(d []float32) {
	for _, p := range []struct {
		v  []float32
		op ewOp
	}{{k.gamma, ewMul}, {k.beta, ewAdd}} {
		switch len(p.v) {
		case 0:
		case 1:
			ewScalar(p.op-ewAdd+ewAddS, d, d, p.v[0])
		default:
			ewBinary(p.op, d, d, p.v)
		}
	}
}

// row64 normalises one row of another float type, in float64.
func (k *layerNormKernel) row64(d, x []float64) {
	mean, variance := meanVar(x)
	inv := 1 / math.Sqrt(variance+float64(k.eps))
	for i, v := range x {
		y := (v - mean) * inv
		if len(k.gamma) > 0 {
			y *= float64(k.gamma[min(i, len(k.gamma)-1)])
		}
		if len(k.beta) > 0 {
			y += float64(k.beta[min(i, len(k.beta)-1)])
		}
		d[i] = y
	}
}
