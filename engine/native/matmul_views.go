package native

import "math"

// fuseMatMulTransposes removes the Transposes around batched products (a
// transformer's attention moves heads and sequence around each of its two
// products): a MatMul whose B is not a constant matrix reads an operand
// that a Transpose produces for it alone from the Transpose's input, when
// the permutation leaves one of the operand's matrix axes contiguous (the
// matrices are then read with a leading dimension, transposed or not), and
// writes the output of a Transpose that alone reads its product, when the
// permutation leaves the product's last axis last (its rows are then
// written with a leading dimension). The batch dimensions may move
// anywhere: each product's matrices start at their own offsets.
func (f *fuser) fuseMatMulTransposes() {
	steps := f.pl.p.steps
	for c, st := range steps {
		if f.removed[c] || st.node.OpType != "MatMul" || normDomain(st.node.Domain) != "" || len(st.in) != 2 || !singleOutput(st) {
			continue
		}
		mk, ok := unwrapHalf(st.kernel).(*matMulKernel)
		if !ok || mk.packedB != nil || mk.ep != nil || mk.inPerm[0] != nil || mk.inPerm[1] != nil || mk.outPerm != nil {
			continue
		}
		k := &matMulKernel{}
		in := append([]int(nil), st.in...)
		for i := range in {
			in[i] = f.foldScale(k, i, in[i], c)
			p, ok := f.soleProducer(in[i], c)
			if !ok {
				continue
			}
			if perm := transposePerm(steps[p]); perm != nil && readableView(perm) {
				k.inPerm[i], in[i] = perm, steps[p].in[0]
				f.removed[p] = true
			}
		}
		st.in = in
		if k.inPerm[0] != nil || k.inPerm[1] != nil || k.scales != [2]float32{} {
			st.kernel = wrapHalf(st.node, k)
			steps[c] = st
		}
		if q, perm := f.soleTransposeReader(c); perm != nil {
			k.outPerm = perm
			f.merge(c, q, k)
		}
	}
}

// transposePerm returns the permutation of a Transpose step with an
// explicit perm of rank 2 or more, else nil.
func transposePerm(st step) []int {
	if st.node.OpType != "Transpose" || normDomain(st.node.Domain) != "" || len(st.in) != 1 || st.in[0] < 0 || !singleOutput(st) {
		return nil
	}
	p := st.node.AttrInts("perm", nil)
	if len(p) < 2 || !isPermutation(p) {
		return nil
	}
	perm := make([]int, len(p))
	for i, a := range p {
		perm[i] = int(a)
	}
	return perm
}

// readableView reports whether an operand permuted by perm from a
// row-major tensor has a contiguous matrix axis: the tensor's last axis
// is one of the operand's last two.
func readableView(perm []int) bool {
	r := len(perm)
	return perm[r-1] == r-1 || perm[r-2] == r-1
}

// soleTransposeReader returns the step that is the only reader of the
// output of the step at c when it is a Transpose that keeps the last
// axis last (and c's output is no graph output), with its permutation.
func (f *fuser) soleTransposeReader(c int) (int, []int) {
	steps := f.pl.p.steps
	id := steps[c].out[0]
	if f.uses[id] != 1 {
		return 0, nil
	}
	for q := c + 1; q < len(steps); q++ {
		if f.removed[q] || len(steps[q].in) != 1 || steps[q].in[0] != id {
			continue
		}
		if perm := transposePerm(steps[q]); perm != nil && perm[len(perm)-1] == len(perm)-1 {
			return q, perm
		}
		return 0, nil
	}
	return 0, nil
}

// foldScale folds into k's scale of operand o a Div or Mul by a float32
// scalar constant (of rank at most 1) whose output is that operand (slot
// id) of the MatMul at c and nothing else (attention's 1/√d on the
// queries), and returns the slot the MatMul reads instead: the other
// operand of the Div or Mul.
func (f *fuser) foldScale(k *matMulKernel, o, id, c int) int {
	p, ok := f.soleProducer(id, c)
	if !ok {
		return id
	}
	st := f.pl.p.steps[p]
	op := st.node.OpType
	if op != "Div" && op != "Mul" || normDomain(st.node.Domain) != "" || len(st.in) != 2 || len(st.node.Attrs) != 0 {
		return id
	}
	for i := range 2 {
		s, ok := f.scalarOperand(st, i)
		if !ok || f.pl.p.consts[st.in[i]].Rank() > 1 || op == "Div" && i == 0 || s == 0 {
			continue
		}
		x := st.in[1-i]
		if f.pl.p.consts[x] != nil {
			return id
		}
		if op == "Div" {
			s = 1 / s
		}
		if s == 0 || math.IsInf(float64(s), 0) || s != s {
			return id
		}
		k.scales[o] = s
		f.removed[p] = true
		return x
	}
	return id
}
