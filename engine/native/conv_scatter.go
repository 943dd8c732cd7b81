package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// Scattered implicit GEMM: with a kernel that has simd.TileScatter, the
// last depth block of each tile of the implicit product (nr consecutive
// columns of the layout's output run, garbage columns and rows included)
// is stored straight into y through masked segments, one per output row
// it touches. The garbage is still computed but never stored, and the
// band's copy-out from its tile buffer (10% of ResNet-18's batch-32 run)
// is gone: the buffer only carries the earlier depth blocks (and the
// residual) to the last.

// useScatter reports whether the implicit convolution p stores its tiles
// straight into y with impl's kernel: its groups must be whole row tiles.
func useScatter(impl *gemmImpl, p *convProblem) bool {
	return impl.kern.HasScatter() && (p.m/p.group)%impl.mr == 0
}

// productScatter is product for a scattered plan.
func (b *implicitBody) productScatter(lo, hi int) {
	p, cp, l := &b.p, b.cp, b.cp.l
	cg, mg := p.c/p.group, p.m/p.group
	out := l.oh * l.ow
	var st scatterTiles
	for t := lo; t < hi; t++ {
		grp, band := t%p.group, t/p.group
		t0 := band * b.bandRows
		t1 := min(b.rows, t0+b.bandRows)
		ep := gemmEpilogue{}
		if p.bias != nil {
			ep.rowBias = p.bias[grp*mg : (grp+1)*mg]
		}
		p.act.setEpilogue(&ep)
		st = scatterTiles{l: l, m: p.m, mg: mg, out: out, q0: t0 * l.wq, q1: t1 * l.wq}
		base := (b.n0*p.m + grp*mg) * out
		st.y = p.y[base:]
		var residual []float32
		if p.residual != nil {
			residual = p.residual[base:]
		}
		st.run(cp, cg*l.kh*l.kw, &b.weights[grp], b.planes[grp*cg*cp.chStride:], residual, &ep)
		if ep.post == nil {
			continue
		}
		l.validRows(t0, t1, func(t, _, n int) {
			o := p.outOffset(l, b.n0, grp, t)
			for i := range mg {
				row := p.y[o+i*out : o+i*out+n]
				ep.post(row, row)
			}
		})
	}
}

// scatterTiles is one band of a scattered product: the output run's
// columns [q0, q1) of the chunk in progress (its first image's group at
// the start of y), mg output channels of the m in y, each out values.
type scatterTiles struct {
	l          *tapLayout
	m, mg, out int
	q0, q1     int
	y          []float32
	segs       [maxScatterSegs]simd.ScatterSeg
}

// maxScatterSegs bounds the segments of a tile: one per output row it
// touches, so at most its columns (TileScatter's kernel is 32 wide).
const maxScatterSegs = 32

// scatterRowsFirst makes the last depth block run row tile by row tile,
// so that y is written as mr streams at a time rather than mg (a
// prefetcher follows the former); scatterEqualBlocks splits the depth
// into blocks of equal size, so that the last is not a short one.
var scatterRowsFirst, scatterEqualBlocks = false, true

// run computes the band with the group's packed weights a (kg deep) and
// planes, adding the residual (when not nil, in y) first.
func (st *scatterTiles) run(cp *convPlan, kg int, a *gemmOperand, planes, residual []float32, ep *gemmEpilogue) {
	impl := cp.gemm
	mr, nr := impl.mr, impl.nr
	ldc := roundUp(st.q1-st.q0, nr)
	var c []float32
	if kg > impl.kc || residual != nil {
		ctmp := getScratch(st.mg * ldc)
		defer putScratch(ctmp)
		c = (*ctmp)[:st.mg*ldc]
	}
	if residual != nil {
		st.l.validRows(st.q0/st.l.wq, st.q1/st.l.wq, func(t, run, n int) {
			copyRows(c[run:], ldc, residual[st.outAt(t):], st.out, st.mg, n)
		})
	}
	for pc := 0; pc < kg; pc += impl.kc {
		kcb := min(impl.kc, kg-pc)
		last := pc+kcb >= kg
		sep := ep.simdEpilogue(1, pc > 0 || residual != nil, last)
		ap := a.packed[pc*roundUp(st.mg, mr):]
		if last && scatterRowsFirst {
			for ir := 0; ir < st.mg; ir += mr {
				for jr := st.q0; jr < st.q1; jr += nr {
					st.tile(cp, ir, jr, pc, kcb, ap, planes, c, ldc, &sep, ep, true)
				}
			}
			continue
		}
		for jr := st.q0; jr < st.q1; jr += nr {
			for ir := 0; ir < st.mg; ir += mr {
				st.tile(cp, ir, jr, pc, kcb, ap, planes, c, ldc, &sep, ep, last)
			}
		}
	}
}

// tile computes the tile at row ir and run column jr over the depth block
// [pc, pc+kcb) (A's packed block ap): into c, or when last into y.
func (st *scatterTiles) tile(cp *convPlan, ir, jr, pc, kcb int, ap, planes, c []float32, ldc int, sep *simd.Epilogue, ep *gemmEpilogue, last bool) {
	mr, kern := cp.gemm.mr, cp.gemm.kern
	tsep := *sep
	if tsep.Flags&simd.RowBias != 0 {
		tsep.Bias = ep.rowBias[ir:]
	}
	var ct []float32
	if c != nil {
		ct = c[ir*ldc+jr-st.q0:]
	}
	apanel := ap[ir*kcb : (ir+mr)*kcb]
	if !last {
		kern.TileIndirect(kcb, apanel, planes[jr:], cp.table, pc, ct, ldc, &tsep)
		return
	}
	if segs := st.place(jr, cp.gemm.nr); len(segs) > 0 {
		kern.TileScatter(kcb, apanel, planes[jr:], cp.table, pc, ct, ldc, st.y[ir*st.out:], st.out, segs, &tsep)
	}
}

// outAt is the offset, from the start of st.y, of output row t of the
// chunk (global row t of the layout's run).
func (st *scatterTiles) outAt(t int) int {
	return t/st.l.hq*st.m*st.out + t%st.l.hq*st.l.ow
}

// place returns the segments of the tile of nr run columns from q0: a
// segment per output row it touches, its columns at that row's place in
// y; garbage columns, garbage rows and the columns past the band are in
// none.
func (st *scatterTiles) place(q0, nr int) []simd.ScatterSeg {
	l := st.l
	n := 0
	for j := 0; j < nr && q0+j < st.q1; {
		q := q0 + j
		row, x := q/l.wq, q%l.wq
		img, oy := row/l.hq, row%l.hq
		switch {
		case oy >= l.oh:
			j += (l.hq-oy)*l.wq - x
			continue
		case x >= l.ow:
			j += l.wq - x
			continue
		}
		run := min(l.ow-x, nr-j, st.q1-q)
		st.segs[n] = simd.ScatterSeg{Off: img*st.m*st.out + oy*l.ow + x - j, Mask: (1<<run - 1) << j}
		n++
		j += run
	}
	return st.segs[:n]
}
