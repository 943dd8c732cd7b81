package native

import (
	"fmt"
	"slices"
	"sync"

	"github.com/inferd/inferd/tensor"
)

// MatMul with numpy semantics: N-d batched with broadcast batch
// dimensions, 1-D operands promoted to matrices and the added dimension
// removed from the result. A constant 2-D B is packed once at load, and
// whenever B is 2-D the batch dimensions of A fold into one product.

func init() { register("MatMul", buildMatMul) }

type matMulKernel struct {
	packedB *gemmOperand // constant 2-D B
	n       int          // its columns
	// bias, when set (fuseMatMulBias), is added to each row of the
	// output: a following Add of a constant vector, fused.
	bias []float32
	act  *fusedAct     // an activation fused after the bias (fuseActivations)
	ep   *gemmEpilogue // adds bias, then applies act

	mu     sync.Mutex
	recent recent[matMulGeometry] // of the last few operand shapes
}

func buildMatMul(b *buildCtx) (kernel, error) {
	if !b.hasInput(0) || !b.hasInput(1) {
		return nil, b.errorf("MatMul needs 2 inputs")
	}
	k := &matMulKernel{}
	if w := b.constInput(1); w != nil && w.DType() == tensor.Float32 && w.Rank() == 2 {
		p := prepackB(rowMajor(tensor.Data[float32](w), w.Shape()[1], false), w.Shape()[0], w.Shape()[1])
		k.packedB, k.n = &p, w.Shape()[1]
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
	g, err := k.geometryFor(a.Shape(), b.Shape())
	if err != nil {
		return err
	}
	y := rc.alloc(tensor.Float32, g.shape)
	ad, bd, yd := tensor.Data[float32](a), tensor.Data[float32](b), tensor.Data[float32](y)
	m, n, ka := g.m, g.n, g.k
	if g.flat {
		// One product: A's batch dimensions fold into its rows.
		opB := rowMajor(bd, n, false)
		if k.packedB != nil {
			opB = *k.packedB
		}
		sgemmEp(defaultGemm(), g.rows, n, ka, 1, rowMajor(ad, ka, false), opB, 0, yd, n, rc.threads, k.ep)
		out[0] = y
		return nil
	}
	perBatch := 2 * m * n * ka
	// Many small products run one per goroutine; large ones one at a time,
	// each spread over the threads.
	inner := rc.threads
	if g.count >= rc.threads && perBatch < 1<<22 {
		inner = 1
	}
	body := matMulBodies.get()
	*body = matMulBody{g: g, a: ad, b: bd, y: yd, inner: inner}
	parallelRange(rc.threads/inner, g.count, max(1, gemmMinFlopsPerThread/max(perBatch, 1)), body)
	*body = matMulBody{}
	matMulBodies.put(body)
	out[0] = y
	return nil
}

// matMulGeometry is what the operand shapes make of a MatMul, cached for
// the last shapes.
type matMulGeometry struct {
	as, bs        []int
	shape         []int
	m, n, k, rows int
	flat          bool // B is 2-D: one product
	l             bcastLayout
	count         int
}

// geometryFor returns the geometry of operands of shapes as and bs.
func (k *matMulKernel) geometryFor(as, bs []int) (*matMulGeometry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if g := k.recent.find(func(g *matMulGeometry) bool { return slices.Equal(g.as, as) && slices.Equal(g.bs, bs) }); g != nil {
		return g, nil
	}
	g := &matMulGeometry{as: slices.Clone(as), bs: slices.Clone(bs)}
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, ka := as[len(as)-2], as[len(as)-1]
	kb, n := bs[len(bs)-2], bs[len(bs)-1]
	if ka != kb {
		return nil, fmt.Errorf("MatMul inner dimensions differ: shapes %v and %v", g.as, g.bs)
	}
	batch, err := broadcastShapes(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, fmt.Errorf("MatMul batch dimensions: %w", err)
	}
	shape := append(append([]int(nil), batch...), m, n)
	if len(g.as) == 1 {
		shape = append(shape[:len(shape)-2], n)
	}
	if len(g.bs) == 1 {
		shape = shape[:len(shape)-1]
	}
	g.shape, g.m, g.n, g.k = shape, m, n, ka
	g.flat = len(bs) == 2
	g.rows = tensor.NumElements(as[:len(as)-1])
	if !g.flat {
		g.l = newBcastLayout(batch, as[:len(as)-2], bs[:len(bs)-2])
		g.count = tensor.NumElements(batch)
	}
	k.recent.add(g)
	return g, nil
}

// matMulBody runs the products of a batched MatMul over a range of its
// batch.
type matMulBody struct {
	g       *matMulGeometry
	a, b, y []float32
	inner   int
}

var matMulBodies freeList[matMulBody]

func (w *matMulBody) do(lo, hi int) {
	g := w.g
	m, n, ka := g.m, g.n, g.k
	for i := lo; i < hi; i++ {
		oa, ob := batchOffset(&g.l, 0, i), batchOffset(&g.l, 1, i)
		sgemm(m, n, ka, 1, rowMajor(w.a[oa*m*ka:], ka, false), rowMajor(w.b[ob*ka*n:], n, false), 0, w.y[i*m*n:], n, w.inner)
	}
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

// withAct returns k with act fused into its epilogue, or nil when k's
// product is not one GEMM (B constant and 2-D, the only case whose
// epilogue runs) or already has an activation.
func (k *matMulKernel) withAct(act *fusedAct) *matMulKernel {
	if k.packedB == nil || k.act != nil {
		return nil
	}
	ep := gemmEpilogue{colBias: k.bias}
	act.setEpilogue(&ep)
	return &matMulKernel{packedB: k.packedB, n: k.n, bias: k.bias, act: act, ep: &ep}
}

// fuseMatMulBias fuses into a MatMul with a constant 2-D B the Add of a
// constant vector of B's width that follows it (a linear layer's bias):
// the GEMM adds it as it stores the product.
func (f *fuser) fuseMatMulBias() {
	steps := f.pl.p.steps
	for c, st := range steps {
		if f.removed[c] || st.node.OpType != "Add" || normDomain(st.node.Domain) != "" || len(st.in) != 2 || !singleOutput(st) {
			continue
		}
		if bk, ok := unwrapHalf(st.kernel).(*binaryKernel); !ok || bk.legacyAxis >= 0 {
			continue
		}
		for i, id := range st.in {
			bias := f.pl.p.consts[st.in[1-i]]
			p, ok := f.soleProducer(id, c)
			if !ok || bias == nil || bias.DType() != tensor.Float32 || bias.Rank() != 1 {
				continue
			}
			mk, ok := unwrapHalf(steps[p].kernel).(*matMulKernel)
			if !ok || mk.packedB == nil || mk.bias != nil || bias.Len() != mk.n {
				continue
			}
			b := tensor.Data[float32](bias)
			f.merge(p, c, &matMulKernel{packedB: mk.packedB, n: mk.n, bias: b, ep: &gemmEpilogue{colBias: b}})
			break
		}
	}
}
