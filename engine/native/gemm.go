package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Gemm: Y = alpha·op(A)·op(B) + beta·C, with C unidirectionally broadcast to
// [M, N] and optional from opset 11. A constant B (the weights of a fully
// connected layer) is packed once at load.

func init() { register("Gemm", buildGemm) }

type gemmKernel struct {
	alpha, beta    float32
	transA, transB bool
	// packedB is op(B) packed for sgemm when B is constant; k and n are
	// its dimensions.
	packedB *gemmOperand
	k, n    int
	// colBias is beta·C when C is a constant vector of n values (the bias
	// of a fully connected layer), added by the kernel's epilogue.
	colBias []float32
	// act is an activation fused by the planner (fuse.go).
	act *fusedAct
}

func buildGemm(b *buildCtx) (kernel, error) {
	if !b.hasInput(0) || !b.hasInput(1) {
		return nil, b.errorf("Gemm needs inputs A and B")
	}
	k := &gemmKernel{}
	var err error
	if k.alpha, err = b.floatAttr("alpha", 1); err != nil {
		return nil, err
	}
	if k.beta, err = b.floatAttr("beta", 1); err != nil {
		return nil, err
	}
	if k.transA, err = b.boolAttr("transA", false); err != nil {
		return nil, err
	}
	if k.transB, err = b.boolAttr("transB", false); err != nil {
		return nil, err
	}
	if w := b.constInput(1); w != nil {
		if w.DType() != tensor.Float32 || w.Rank() != 2 {
			return nil, b.errorf("Gemm B must be a 2-D float32 matrix, got %v", w)
		}
		rows, cols := w.Shape()[0], w.Shape()[1]
		k.k, k.n = rows, cols
		if k.transB {
			k.k, k.n = cols, rows
		}
		p := prepackB(rowMajor(tensor.Data[float32](w), cols, k.transB), k.k, k.n)
		k.packedB = &p
	}
	if c := b.constInput(2); c != nil && c.Rank() > 2 {
		return nil, b.errorf("Gemm C must have rank at most 2, got shape %v", c.Shape())
	}
	if c := b.constInput(2); c != nil && c.DType() == tensor.Float32 && k.packedB != nil &&
		c.Len() == k.n && (c.Rank() == 1 || c.Rank() == 2 && c.Shape()[0] == 1) {
		k.colBias = make([]float32, k.n)
		for j, v := range tensor.Data[float32](c) {
			k.colBias[j] = k.beta * v
		}
	}
	return k, nil
}

func (k *gemmKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	a, bm := in[0], in[1]
	var c *tensor.Tensor
	if len(in) > 2 {
		c = in[2]
	}
	if err := sameDType("Gemm", a, bm, c); err != nil {
		return err
	}
	if a.DType() != tensor.Float32 {
		return dtypeError("Gemm", a.DType())
	}
	if a.Rank() != 2 || bm.Rank() != 2 {
		return fmt.Errorf("Gemm needs 2-D A and B, got shapes %v and %v", a.Shape(), bm.Shape())
	}
	m, ka := a.Shape()[0], a.Shape()[1]
	if k.transA {
		m, ka = ka, m
	}
	kb, n := bm.Shape()[0], bm.Shape()[1]
	if k.transB {
		kb, n = n, kb
	}
	if ka != kb {
		return fmt.Errorf("Gemm inner dimensions differ: op(A) is %dx%d, op(B) is %dx%d", m, ka, kb, n)
	}
	y := rc.alloc(tensor.Float32, []int{m, n})
	yd := tensor.Data[float32](y)
	beta := float32(0)
	var ep gemmEpilogue
	k.act.setEpilogue(&ep)
	switch {
	case c != nil && k.beta != 0 && k.colBias != nil && c.Len() == n && k.n == n:
		ep.colBias = k.colBias
	case c != nil && k.beta != 0:
		if !canBroadcastTo(c.Shape(), []int{m, n}) {
			return fmt.Errorf("Gemm C of shape %v does not broadcast to [%d %d]", c.Shape(), m, n)
		}
		broadcastCopy(yd, tensor.Data[float32](c), []int{m, n}, c.Shape())
		beta = k.beta
	}
	opB := rowMajor(tensor.Data[float32](bm), bm.Shape()[1], k.transB)
	if k.packedB != nil && k.k == kb && k.n == n {
		opB = *k.packedB
	}
	sgemmEp(defaultGemm(), m, n, ka, k.alpha, rowMajor(tensor.Data[float32](a), a.Shape()[1], k.transA), opB, beta, yd, n, rc.threads, &ep)
	out[0] = y
	return nil
}
