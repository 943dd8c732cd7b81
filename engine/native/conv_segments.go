package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// Segmented implicit GEMM: when the output rows are a whole number of
// kernel segments wide (ow a multiple of simd.SegWidth), each column tile
// is nr consecutive outputs of one image, read from the padded planes as
// nr/SegWidth segments that skip the garbage columns (and rows) of the
// layout, and stored straight into the output (its leading dimension the
// output plane). This does no garbage FMAs and has no copy-out, which is
// what the plain implicit GEMM costs on small planes: 8×8 planes with one
// padding column and row computed 81 columns per 64 outputs and copied
// them out 8 at a time.

// segMaxWidth bounds the output rows taking the segmented path: on wider
// rows the garbage and the copy-out are a few percent, less than the
// kernel's second load per vector. BenchmarkConvBatch, cpu-GFLOP/s, best
// of 3 at load 10, segmented against not: 8×8 at batch 32 148 against
// 121, 16×16 121 against 114 (batch 1 145 against 128), 32×32 at batch 32
// 113 against 131, ResNet-18's 56×56 (BenchmarkConv) 119 against 127.
const segMaxWidth = 16

// useSegments reports whether the implicit convolution over l runs
// segmented with impl's kernel.
func useSegments(impl *gemmImpl, l *tapLayout) bool {
	return impl.kern.HasSegments() && l.ow%simd.SegWidth == 0 && l.ow <= segMaxWidth && l.oh*l.ow >= impl.nr
}

// segmentTiles is the number of column tiles of one image's outputs.
func (cp *convPlan) segmentTiles() int {
	return (cp.l.oh*cp.l.ow + cp.gemm.nr - 1) / cp.gemm.nr
}

// segmentsGrain is the tiles per parallel task of the segmented product.
func segmentsGrain(cp *convPlan, mg, kg int) int {
	return max(1, minTaskFlops/max(1, 2*mg*kg*cp.gemm.nr))
}

// segments computes items [lo, hi) of the segmented product of the chunk
// of images in progress: item t is column tile t/group of group t%group.
func (b *implicitBody) segments(lo, hi int) {
	p, cp := &b.p, b.cp
	impl := cp.gemm
	cg, mg := p.c/p.group, p.m/p.group
	kg := cg * cp.l.kh * cp.l.kw
	var st segmentTile
	st.out = cp.l.oh * cp.l.ow
	for pc := 0; pc < kg; pc += impl.kc {
		kcb := min(impl.kc, kg-pc)
		for t := lo; t < hi; t++ {
			grp := t % p.group
			st.place(b, t/p.group, grp)
			if pc == 0 && p.residual != nil {
				copyRows(p.y[st.off:], st.out, p.residual[st.off:], st.out, mg, st.width)
			}
			ep := gemmEpilogue{}
			if p.bias != nil {
				ep.rowBias = p.bias[grp*mg : (grp+1)*mg]
			}
			p.act.setEpilogue(&ep)
			last := pc+kcb >= kg
			sep := ep.simdEpilogue(1, pc > 0 || p.residual != nil, last)
			ap := b.weights[grp].packed[pc*roundUp(mg, impl.mr):]
			st.run(impl, mg, kcb, ap, b.planes[grp*cg*cp.chStride:], cp.table, pc, p.y, &sep)
			if last && ep.post != nil {
				for i := range mg {
					row := p.y[st.off+i*st.out : st.off+i*st.out+st.width]
					ep.post(row, row)
				}
			}
		}
	}
}

// segmentTile is one column tile of the segmented product: its segments'
// offsets in the planes, its first output in y and its real columns.
type segmentTile struct {
	segs            [maxTile / simd.SegWidth]int
	out, off, width int
	// shifted is set for shifted planes (conv_shifted.go), base is then
	// the tile's first output in them.
	shifted     bool
	base        int
	nsegs       int
	tbuf, biasb [maxTile]float32
}

// place sets the tile to column tile tile of the chunk in group grp (the
// caller's planes and weights select the group's inputs).
func (st *segmentTile) place(b *implicitBody, tile, grp int) {
	p, cp, l := &b.p, b.cp, b.cp.l
	nr, tiles := cp.gemm.nr, cp.segmentTiles()
	img, q0 := tile/tiles, tile%tiles*nr
	st.width = min(nr, st.out-q0)
	st.shifted, st.base = cp.shifted, img*l.shiftPlane()+q0
	st.nsegs = nr / simd.SegWidth
	for g := range st.nsegs {
		q := q0 + g*simd.SegWidth
		if q >= st.out {
			q = q0 // past the image: any segment in range, its columns are dropped
		}
		st.segs[g] = img*l.plane() + q/l.ow*l.wq + q%l.ow
	}
	st.off = ((b.n0+img)*p.m+grp*(p.m/p.group))*st.out + q0
}

// run computes the tile's mg rows (output channels) over depth
// [pc, pc+kcb), with A's packed block ap and the group's planes.
func (st *segmentTile) run(impl *gemmImpl, mg, kcb int, ap, planes []float32, o *simd.Offsets, pc int, y []float32, sep0 *simd.Epilogue) {
	mr, nr := impl.mr, impl.nr
	ir := 0
	if st.width == nr && mg >= 2*mr {
		// The whole panels in one call, which loops over them.
		panels := mg / mr
		st.tiles(impl.kern, kcb, ap[:panels*mr*kcb], planes, o, pc, y[st.off:], st.out, sep0, panels)
		ir = panels * mr
	}
	for ; ir < mg; ir += mr {
		rows := min(mr, mg-ir)
		sep := st.panelEpilogue(sep0, ir, rows, mr)
		apanel := ap[ir*kcb : (ir+mr)*kcb]
		c := y[st.off+ir*st.out:]
		if rows == mr && st.width == nr {
			st.tiles(impl.kern, kcb, apanel, planes, o, pc, c, st.out, &sep, 1)
			continue
		}
		tb := st.tbuf[:mr*nr]
		if sep.Flags&simd.Accumulate != 0 {
			copyRows(tb, nr, c, st.out, rows, st.width)
		}
		st.tiles(impl.kern, kcb, apanel, planes, o, pc, tb, nr, &sep, 1)
		copyRows(c, st.out, tb, nr, rows, st.width)
	}
}

// tiles computes panels row panels of the tile into c with the segmented
// kernel, or on shifted planes the indirect one from the tile's first
// output.
func (st *segmentTile) tiles(kern *simd.GemmKernel, kcb int, a, planes []float32, o *simd.Offsets, pc int, c []float32, ldc int, sep *simd.Epilogue, panels int) {
	if st.shifted {
		kern.TileIndirectPanels(kcb, a, planes[st.base:], o, pc, c, ldc, sep, panels)
		return
	}
	kern.TileSegmentsPanels(kcb, a, planes, o, pc, st.segs[:st.nsegs], c, ldc, sep, panels)
}

// panelEpilogue is sep0 for the panel of rows output channels from ir:
// its row biases from ir on, padded with zeros to mr in the tile's buffer
// for a partial panel.
func (st *segmentTile) panelEpilogue(sep0 *simd.Epilogue, ir, rows, mr int) simd.Epilogue {
	sep := *sep0
	if sep.Flags&simd.RowBias != 0 {
		sep.Bias = sep0.Bias[ir:]
		if rows < mr {
			clear(st.biasb[:mr])
			copy(st.biasb[:rows], sep0.Bias[ir:])
			sep.Bias = st.biasb[:mr]
		}
	}
	return sep
}
