package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// gemmMinFlopsPerThread keeps small products on one goroutine: it counts
// m·n·k, multiply-adds, so a thread gets at least 8 Mflop (see elemGrain
// for why so much).
const gemmMinFlopsPerThread = 4 << 20

// gemmOperand is one operand of sgemm, op(X): a row-major matrix with
// leading dimension ld, used transposed when trans is set, or an operand
// packed once (constant weights) by prepackA or prepackB for the kernel
// impl, in which case only packed is read.
type gemmOperand struct {
	data   []float32
	ld     int
	trans  bool
	packed []float32
	impl   *gemmImpl
	// scale, when not 0, multiplies the (unpacked) operand's values as
	// they are packed.
	scale float32
}

// at returns element (i, j) of op(X).
func (x *gemmOperand) at(i, j int) float32 {
	if x.trans {
		return x.data[j*x.ld+i]
	}
	return x.data[i*x.ld+j]
}

// rowMajor returns a gemmOperand over a row-major matrix with ld columns.
func rowMajor(data []float32, ld int, trans bool) gemmOperand {
	return gemmOperand{data: data, ld: ld, trans: trans}
}

// gemmEpilogue is what sgemm applies to C = alpha·op(A)·op(B) + beta·C
// before storing it, in this order: a bias per row (rowBias, m values) or
// per column (colBias, n values; not both), a clamp to [lo, hi], then post, an
// elementwise function applied in place. The kernels fuse all but post
// into their stores.
type gemmEpilogue struct {
	rowBias, colBias []float32
	clamp            bool
	lo, hi           float32
	post             func(d, x []float32)
	// prefetchB asks the indirect kernels to prefetch B's next column
	// tile (simd.Prefetch).
	prefetchB bool
}

// sgemm computes C = alpha·op(A)·op(B) + beta·C, where op(A) is m×k, op(B)
// is k×n and C is m×n row-major with leading dimension ldc. When beta is 0,
// C is not read (it may hold garbage). The work is split over at most
// threads goroutines by blocks of C.
//
// This is the entry point operators use for float32 matrix products; it
// runs the fastest kernel the CPU has.
func sgemm(m, n, k int, alpha float32, a, b gemmOperand, beta float32, c []float32, ldc, threads int) {
	sgemmEp(defaultGemm(), m, n, k, alpha, a, b, beta, c, ldc, threads, nil)
}

// sgemmEp is sgemm with kernel impl (packed operands must be packed for
// it) and an epilogue (nil for none), which it does not retain.
func sgemmEp(impl *gemmImpl, m, n, k int, alpha float32, a, b gemmOperand, beta float32, c []float32, ldc, threads int, ep *gemmEpilogue) {
	if m <= 0 || n <= 0 {
		return
	}
	checkPacked(impl, &a, &b)
	if k > 0 && alpha != 0 {
		threads = max(1, min(threads, m*n*k/gemmMinFlopsPerThread))
		if a.packed == nil && b.packed == nil && a.scale == 0 && b.scale == 0 && (m == 1 || n == 1) {
			sgemv(m, n, k, alpha, &a, &b, beta, c, ldc, threads)
			ep.applyGo(c, ldc, 0, m, 0, n)
			return
		}
	}
	g := sgemmBodies.get()
	defer sgemmBodies.put(g)
	*g = sgemmBody{impl: impl, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c, ldc: ldc}
	if ep != nil {
		g.epv, g.ep = *ep, &g.epv
	}
	switch {
	case k <= 0 || alpha == 0:
		g.split = splitScale
		parallelRange(threads, m, max(1, elemGrain/n), g)
	case n >= m:
		// Split C into bands along its longer side, aligned to the tile
		// size so that pre-packed panels stay addressable; two bands per
		// thread at most, since each band packs its share of the operand
		// that is not pre-packed and all of the other.
		g.split = splitCols
		panels := (n + impl.nr - 1) / impl.nr
		parallelRange(threads, panels, max(1, panels/(2*threads)), g)
	default:
		g.split = splitRows
		panels := (m + impl.mr - 1) / impl.mr
		parallelRange(threads, panels, max(1, panels/(2*threads)), g)
	}
}

// sgemmBody is the state of sgemmEp's region: the product, its epilogue
// (ep points to epv, or is nil) and how its items split C.
type sgemmBody struct {
	impl        *gemmImpl
	m, n, k     int
	alpha, beta float32
	a, b        gemmOperand
	c           []float32
	ldc         int
	ep          *gemmEpilogue
	epv         gemmEpilogue
	split       int
}

// How sgemmBody's items split C.
const (
	splitScale = iota // rows, for C = beta·C
	splitCols         // panels of nr columns
	splitRows         // panels of mr rows
)

var sgemmBodies freeList[sgemmBody]

func (g *sgemmBody) do(lo, hi int) {
	impl := g.impl
	switch g.split {
	case splitScale:
		scaleRows(g.c, g.ldc, lo, hi, 0, g.n, g.beta)
		g.ep.applyGo(g.c, g.ldc, lo, hi, 0, g.n)
	case splitCols:
		impl.region(g.m, g.n, g.k, g.alpha, &g.a, &g.b, g.beta, g.c, g.ldc, 0, g.m, lo*impl.nr, min(hi*impl.nr, g.n), g.ep)
	default:
		impl.region(g.m, g.n, g.k, g.alpha, &g.a, &g.b, g.beta, g.c, g.ldc, lo*impl.mr, min(hi*impl.mr, g.m), 0, g.n, g.ep)
	}
}

// checkPacked panics when a packed operand was packed for another kernel
// than impl: a bug, since operands are packed with the kernel that runs
// them.
func checkPacked(impl *gemmImpl, a, b *gemmOperand) {
	if a.packed != nil && a.impl != impl || b.packed != nil && b.impl != impl {
		panic("sgemm: operand packed for another kernel")
	}
}

// scaleRows multiplies C[i0:i1, j0:j1] by beta (beta 0 stores zeros, so
// garbage and NaN in C do not leak through).
func scaleRows(c []float32, ldc, i0, i1, j0, j1 int, beta float32) {
	if beta == 1 {
		return
	}
	for i := i0; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j1]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// applyGo applies the epilogue to C[i0:i1, j0:j1] in Go, for the paths
// that do not go through the kernels. A nil epilogue does nothing.
func (ep *gemmEpilogue) applyGo(c []float32, ldc, i0, i1, j0, j1 int) {
	if ep == nil {
		return
	}
	for i := i0; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j1]
		switch {
		case ep.rowBias != nil:
			b := ep.rowBias[i]
			for j := range row {
				row[j] += b
			}
		case ep.colBias != nil:
			for j, b := range ep.colBias[j0:j1] {
				row[j] += b
			}
		}
		if ep.clamp {
			clampSlice(row, ep.lo, ep.hi)
		}
		if ep.post != nil {
			ep.post(row, row)
		}
	}
}

// clampSlice bounds s to [lo, hi], leaving NaN as it is.
func clampSlice(s []float32, lo, hi float32) {
	for i, v := range s {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		s[i] = v
	}
}

// simdEpilogue returns the kernel flags and epilogue for a tile of the
// block at rows i0 and columns j0 of C: scale by alpha unless 1,
// accumulate unless this is the first depth block of a product with beta 0,
// and on the last depth block the bias and clamp.
func (ep *gemmEpilogue) simdEpilogue(alpha float32, accumulate, last bool) simd.Epilogue {
	var s simd.Epilogue
	if alpha != 1 {
		s.Flags |= simd.Scale
		s.Alpha = alpha
	}
	if accumulate {
		s.Flags |= simd.Accumulate
	}
	if ep != nil && ep.prefetchB {
		s.Flags |= simd.Prefetch
	}
	if last && ep != nil {
		switch {
		case ep.rowBias != nil:
			s.Flags |= simd.RowBias
			s.Bias = ep.rowBias
		case ep.colBias != nil:
			s.Flags |= simd.ColBias
			s.Bias = ep.colBias
		}
		if ep.clamp {
			s.Flags |= simd.Clamp
			s.Lo, s.Hi = ep.lo, ep.hi
		}
	}
	return s
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }
