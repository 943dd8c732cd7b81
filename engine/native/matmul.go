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
	// inPerm[i], when set (fuseMatMulTransposes), says that in[i] is the
	// input of a Transpose by that permutation whose output is the
	// operand: the products read it in place. outPerm, when set, is a
	// Transpose of the product, which the products write in place.
	inPerm  [2][]int
	outPerm []int
	// scales[i], when not 0, multiplies operand i as it is packed (a Div
	// or Mul of it by a scalar, folded by fuseMatMulTransposes: the
	// operand scaled before the products, as unfused, so that no product
	// overflows or underflows where the scaled operand would not).
	scales [2]float32

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
	g, err := k.geometryFor(rc.tag, a.Shape(), b.Shape())
	if err != nil {
		return err
	}
	y := rc.alloc(tensor.Float32, g.yshape)
	ad, bd, yd := tensor.Data[float32](a), tensor.Data[float32](b), tensor.Data[float32](y)
	m, n, ka := g.m, g.n, g.k
	out[0] = y
	if g.flat {
		// One product: A's batch dimensions fold into its rows.
		opA, opB := rowMajor(ad, ka, false), rowMajor(bd, n, false)
		if k.packedB != nil {
			opB = *k.packedB
		}
		opA.scale, opB.scale = k.scales[0], k.scales[1]
		sgemmEp(defaultGemm(), g.rows, n, ka, 1, opA, opB, 0, yd, n, rc.threads, k.ep)
		return nil
	}
	if len(yd) == 0 || ka == 0 {
		// No products, or products of empty sums (the views' offsets
		// may lie past the ends of empty operands).
		clear(yd)
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
	*body = matMulBody{g: g, a: ad, b: bd, y: yd, inner: inner, scales: k.scales}
	parallelRange(rc.threads/inner, g.count, max(1, gemmMinFlopsPerThread/max(perBatch, 1)), body)
	*body = matMulBody{}
	matMulBodies.put(body)
	return nil
}

// matMulGeometry is what the operand shapes make of a MatMul, cached for
// the last shapes.
type matMulGeometry struct {
	as, bs        []int // the inputs' shapes (in[0], in[1])
	yshape        []int // the output's
	m, n, k, rows int
	flat          bool // B is 2-D: one product
	// The batched products (not flat): count of them over the batch
	// dimensions bdims, and per operand (A, B, the output) the element
	// stride of each batch dimension (0 where broadcast), the leading
	// dimension of its matrices and whether they are transposed.
	count int
	bdims []int
	bst   [3][]int
	ld    [3]int
	trans [2]bool
	// small, when set, is the kernel running each product of the batch
	// straight (matmul_small.go).
	small *gemmImpl
}

// geometryFor returns the geometry of operands of shapes as and bs.
func (k *matMulKernel) geometryFor(tag uint64, as, bs []int) (*matMulGeometry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if g := k.recent.find(tag, func(g *matMulGeometry) bool { return slices.Equal(g.as, as) && slices.Equal(g.bs, bs) }); g != nil {
		return g, nil
	}
	g := &matMulGeometry{as: slices.Clone(as), bs: slices.Clone(bs)}
	for i, s := range [][]int{as, bs, nil} {
		if p := append(k.inPerm[:], k.outPerm)[i]; p != nil && s != nil && len(p) != len(s) {
			return nil, fmt.Errorf("MatMul: fused Transpose perm %v does not fit rank %d", p, len(s))
		}
	}
	as, bs = permutedShape(as, k.inPerm[0]), permutedShape(bs, k.inPerm[1])
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
	mshape := append(append([]int(nil), batch...), m, n)
	shape := slices.Clone(mshape)
	if len(g.as) == 1 {
		shape = append(shape[:len(shape)-2], n)
	}
	if len(g.bs) == 1 {
		shape = shape[:len(shape)-1]
	}
	if k.outPerm != nil && len(k.outPerm) != len(shape) {
		return nil, fmt.Errorf("MatMul: fused Transpose perm %v does not fit rank %d", k.outPerm, len(shape))
	}
	g.yshape, g.m, g.n, g.k = permutedShape(shape, k.outPerm), m, n, ka
	views := k.inPerm[0] != nil || k.inPerm[1] != nil || k.outPerm != nil
	g.flat = len(bs) == 2 && !views
	g.rows = tensor.NumElements(as[:len(as)-1])
	if !g.flat {
		yst := outStrides(mshape, shape, k.outPerm, len(g.as) == 1, len(g.bs) == 1)
		g.batched(batch, [3][]int{as, bs, mshape}, [3][]int{viewStrides(g.as, k.inPerm[0]), viewStrides(g.bs, k.inPerm[1]), yst})
		g.small = smallProductImpl(m, n, ka)
	}
	k.recent.add(tag, g)
	return g, nil
}

// batched sets the batched products' layout from the operands' shapes
// (A, B and the product, matrices promoted from vectors) and their
// element strides (of those shapes).
func (g *matMulGeometry) batched(batch []int, shapes, strides [3][]int) {
	g.count, g.bdims = tensor.NumElements(batch), batch
	for o := range 3 {
		s, st := shapes[o], strides[o]
		if len(st) < len(s) {
			// An operand promoted from a vector: contiguous.
			st = contiguousStrides(s)
		}
		r := len(s)
		rowSt, colSt := st[r-2], st[r-1]
		switch {
		case o < 2 && colSt != 1 && (rowSt == 1 || s[r-2] == 1):
			g.trans[o], g.ld[o] = true, colSt
		case s[r-2] == 1:
			g.ld[o] = s[r-1]
		default:
			g.ld[o] = rowSt
		}
		g.bst[o] = make([]int, len(batch))
		for d := range batch {
			if e := d - (len(batch) - (r - 2)); e >= 0 && s[e] != 1 {
				g.bst[o][d] = st[e]
			}
		}
	}
}

// offset returns operand o's element offset for product i of the batch.
func (g *matMulGeometry) offset(o, i int) int {
	off := 0
	for d := len(g.bdims) - 1; d >= 0; d-- {
		off += (i % g.bdims[d]) * g.bst[o][d]
		i /= g.bdims[d]
	}
	return off
}

// operands returns product i's A, B and output offset.
func (w *matMulBody) operands(i int) (a, b gemmOperand, y int) {
	g := w.g
	oa, ob := g.offset(0, i), g.offset(1, i)
	a = gemmOperand{data: w.a[oa:], ld: g.ld[0], trans: g.trans[0], scale: w.scales[0]}
	b = gemmOperand{data: w.b[ob:], ld: g.ld[1], trans: g.trans[1], scale: w.scales[1]}
	return a, b, g.offset(2, i)
}

// permutedShape returns s permuted by perm (s itself when perm is nil).
func permutedShape(s, perm []int) []int {
	if perm == nil || len(perm) != len(s) {
		return s
	}
	p := make([]int, len(s))
	for i, a := range perm {
		p[i] = s[a]
	}
	return p
}

// contiguousStrides returns the element strides of a row-major tensor of
// shape s.
func contiguousStrides(s []int) []int {
	st := make([]int, len(s))
	for i, acc := len(s)-1, 1; i >= 0; i-- {
		st[i] = acc
		acc *= s[i]
	}
	return st
}

// viewStrides returns the strides of a row-major tensor of shape s
// permuted by perm (nil: s's own; an empty result for a vector, which the
// product promotes to a matrix).
func viewStrides(s, perm []int) []int {
	if len(s) < 2 {
		return nil
	}
	return permutedShape(contiguousStrides(s), perm)
}

// outStrides returns the strides, in the output, of the product's axes
// (mshape: the batch, rows and columns): the output is the product's
// shape (mshape less the axis of a vector operand: aVec, bVec) permuted
// by perm (nil: itself). The axis of a vector operand, always at index 0,
// gets any stride.
func outStrides(mshape, shape, perm []int, aVec, bVec bool) []int {
	pst := contiguousStrides(shape)
	if perm != nil {
		yst := contiguousStrides(permutedShape(shape, perm))
		for i, a := range perm {
			pst[a] = yst[i]
		}
	}
	nb := len(mshape) - 2
	st := append(pst[:nb:nb], 1, 1)
	switch {
	case aVec && bVec:
	case aVec:
		st[nb], st[nb+1] = mshape[nb+1], pst[nb]
	case bVec:
		st[nb] = pst[nb]
	default:
		st[nb], st[nb+1] = pst[nb], pst[nb+1]
	}
	return st
}

// matMulBody runs the products of a batched MatMul over a range of its
// batch.
type matMulBody struct {
	g       *matMulGeometry
	a, b, y []float32
	inner   int
	scales  [2]float32
}

var matMulBodies freeList[matMulBody]

func (w *matMulBody) do(lo, hi int) {
	g := w.g
	if g.small != nil && w.inner == 1 {
		w.doSmall(lo, hi)
		return
	}
	for i := lo; i < hi; i++ {
		a, b, y := w.operands(i)
		sgemm(g.m, g.n, g.k, 1, a, b, 0, w.y[y:], g.ld[2], w.inner)
	}
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
