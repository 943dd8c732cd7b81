package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// MatMul with numpy semantics: N-d batched with broadcast batch
// dimensions, 1-D operands promoted to matrices and the added dimension
// removed from the result. A constant 2-D B is packed once at load, and
// whenever B is 2-D the batch dimensions of A fold into one product.

func init() { register("MatMul", buildMatMul) }

type matMulKernel struct {
	packedB *gemmOperand // constant 2-D B
}

func buildMatMul(b *buildCtx) (kernel, error) {
	if !b.hasInput(0) || !b.hasInput(1) {
		return nil, b.errorf("MatMul needs 2 inputs")
	}
	k := &matMulKernel{}
	if w := b.constInput(1); w != nil && w.DType() == tensor.Float32 && w.Rank() == 2 {
		p := prepackB(rowMajor(tensor.Data[float32](w), w.Shape()[1], false), w.Shape()[0], w.Shape()[1])
		k.packedB = &p
	}
	return k, nil
}

func (k *matMulKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	a, b := in[0], in[1]
	if err := sameDType("MatMul", a, b); err != nil {
		return err
	}
	if a.DType() != tensor.Float32 {
		return dtypeError("MatMul", a.DType())
	}
	if a.Rank() == 0 || b.Rank() == 0 {
		return fmt.Errorf("MatMul operands must have rank at least 1, got shapes %v and %v", a.Shape(), b.Shape())
	}
	as, bs := a.Shape(), b.Shape()
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, ka := as[len(as)-2], as[len(as)-1]
	kb, n := bs[len(bs)-2], bs[len(bs)-1]
	if ka != kb {
		return fmt.Errorf("MatMul inner dimensions differ: shapes %v and %v", a.Shape(), b.Shape())
	}
	batch, err := broadcastShapes(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return fmt.Errorf("MatMul batch dimensions: %w", err)
	}
	shape := append(append([]int(nil), batch...), m, n)
	if a.Rank() == 1 {
		shape = append(shape[:len(shape)-2], n)
	}
	if b.Rank() == 1 {
		shape = shape[:len(shape)-1]
	}
	y := rc.alloc(tensor.Float32, shape)
	ad, bd, yd := tensor.Data[float32](a), tensor.Data[float32](b), tensor.Data[float32](y)
	if len(bs) == 2 {
		// One product: A's batch dimensions fold into its rows.
		rows := tensor.NumElements(as[:len(as)-1])
		opB := rowMajor(bd, n, false)
		if k.packedB != nil {
			opB = *k.packedB
		}
		sgemm(rows, n, ka, 1, rowMajor(ad, ka, false), opB, 0, yd, n, rc.threads)
		out[0] = y
		return nil
	}
	l := newBcastLayout(batch, as[:len(as)-2], bs[:len(bs)-2])
	count := tensor.NumElements(batch)
	perBatch := 2 * m * n * ka
	// Many small products run one per goroutine; large ones one at a time,
	// each spread over the threads.
	inner := rc.threads
	if count >= rc.threads && perBatch < 1<<22 {
		inner = 1
	}
	parallelFor(rc.threads/inner, count, max(1, gemmMinFlopsPerThread/max(perBatch, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			oa, ob := batchOffset(&l, 0, i), batchOffset(&l, 1, i)
			sgemm(m, n, ka, 1, rowMajor(ad[oa*m*ka:], ka, false), rowMajor(bd[ob*ka*n:], n, false), 0, yd[i*m*n:], n, inner)
		}
	})
	out[0] = y
	return nil
}

// batchOffset returns operand k's batch index (in matrices) for output
// batch i of a layout over the batch dimensions.
func batchOffset(l *bcastLayout, k, i int) int {
	off := 0
	for d := len(l.dims) - 1; d >= 0; d-- {
		off += (i % l.dims[d]) * l.strides[k][d]
		i /= l.dims[d]
	}
	return off
}
