package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// Gathered implicit GEMM: when the padded layout's garbage is a large
// share of the outputs (planes of 7×7 and 14×14, whose rows carry one
// garbage column per 7 or 14 outputs, and whose runs end in ragged column
// tiles), the B panels are packed from the planes by gathering the valid
// outputs alone (simd.TapKernel.Gather), numbered across the chunk's
// images, so that the kernel computes no garbage column and the tiles are
// full except the chunk's last. The packed panel costs a gather per depth
// step and tile; the product lands in a band buffer scattered to the
// output like the plain implicit GEMM's.

// gatherMaxWidth bounds the output rows taking the gathered path: wider
// rows have little garbage (a 28-wide row one column in 29), less than
// the gathers cost.
const gatherMaxWidth = 16

// gatherMaxCols bounds a band's columns (the tiles' indices live on the
// stack).
const gatherMaxCols = 1024

// useGather reports whether the implicit convolution over l gathers its
// B panels with impl's kernel and the tap kernel tk.
func useGather(impl *gemmImpl, tk *simd.TapKernel, l *tapLayout) bool {
	return impl.nr == simd.GatherWidth && tk.HasGather() && l.wq > l.ow && l.ow <= gatherMaxWidth
}

// gatherPays reports whether gathering the valid outputs of imgs images
// saves enough columns over the plain implicit GEMM's run (its garbage
// columns and rows, its ragged last tile) to pay for the gathers: a
// tenth. A 7×7 plane alone is 64 columns either way; four of them are 208
// gathered against 256.
func gatherPays(l *tapLayout, imgs, nr int) bool {
	plain := roundUp(imgs*l.hq*l.wq-(l.hq-l.oh)*l.wq, nr)
	return 10*roundUp(imgs*l.oh*l.ow, nr) <= 9*plain
}

// gatherBands sets the bands of the chunk in progress (imgs images) for
// the gathered product and returns their number.
func (b *implicitBody) gatherBands(threads, mg, kg int) int {
	l, nr := b.cp.l, b.cp.gemm.nr
	b.cols = b.imgs * l.oh * l.ow
	bandCols := min(gatherMaxCols, max(4*nr, (1<<17)/max(1, mg)))
	bands := max((b.cols+bandCols-1)/bandCols, min(threads, (b.cols+nr-1)/nr, parallelTasks(2*mg*kg*b.cols*b.p.group)))
	b.bandCols = roundUp((b.cols+bands-1)/bands, nr)
	return (b.cols + b.bandCols - 1) / b.bandCols
}

// gathered computes the bands of items [lo, hi) (band-major, then group)
// of the gathered product.
func (b *implicitBody) gathered(lo, hi int) {
	p, cp, l := &b.p, b.cp, b.cp.l
	impl := cp.gemm
	cg, mg := p.c/p.group, p.m/p.group
	kg, out := cg*l.kh*l.kw, l.oh*l.ow
	ldc := b.bandCols
	ctmp := getScratch(mg * ldc)
	defer putScratch(ctmp)
	bbuf := getScratch(min(impl.kc, kg) * ldc)
	defer putScratch(bbuf)
	var idx [gatherMaxCols / simd.GatherWidth][simd.GatherWidth]int32
	for t := lo; t < hi; t++ {
		grp, c0 := t%p.group, t/p.group*b.bandCols
		cols := min(b.cols, c0+b.bandCols) - c0
		tiles := (cols + impl.nr - 1) / impl.nr
		for i := range tiles * impl.nr {
			q := c0 + min(i, cols-1) // past the band: a valid column, dropped
			idx[i/impl.nr][i%impl.nr] = int32(q/out*l.plane() + q%out/l.ow*l.wq + q%l.ow)
		}
		c := (*ctmp)[:mg*ldc]
		ep := gemmEpilogue{}
		if p.bias != nil {
			ep.rowBias = p.bias[grp*mg : (grp+1)*mg]
		}
		p.act.setEpilogue(&ep)
		accumulate := p.residual != nil
		if accumulate {
			b.bandOutputs(c0, cols, grp, func(off, col, n int) { copyRows(c[col:], ldc, p.residual[off:], out, mg, n) })
		}
		planes := b.planes[grp*cg*cp.chStride:]
		for pc := 0; pc < kg; pc += impl.kc {
			kcb := min(impl.kc, kg-pc)
			bp := (*bbuf)[:tiles*impl.nr*kcb]
			for i := range tiles {
				cp.taps.Gather(bp[i*impl.nr*kcb:], planes, cp.table, pc, kcb, &idx[i])
			}
			sep := ep.simdEpilogue(1, pc > 0 || accumulate, pc+kcb >= kg)
			ap := b.weights[grp].packed[pc*roundUp(mg, impl.mr):]
			for ic := 0; ic < mg; ic += impl.mc {
				// Whole tiles: the last one's extra columns repeat a valid
				// output, dropped, which costs less than a partial tile's
				// copies through a buffer.
				impl.macro(min(impl.mc, mg-ic), tiles*impl.nr, kcb, ap[ic*kcb:], bp, c[ic*ldc:], ldc, &sep, &ep, ic, 0)
			}
		}
		if ep.post != nil {
			for i := range mg {
				row := c[i*ldc : i*ldc+cols]
				ep.post(row, row)
			}
		}
		b.bandOutputs(c0, cols, grp, func(off, col, n int) { copyRows(p.y[off:], out, c[col:], ldc, mg, n) })
	}
}

// bandOutputs calls f for each image the valid outputs [c0, c0+cols) of
// the chunk in progress cover, with the offset in y of its first output of
// the band in group grp, the band's column where it starts and its number
// of outputs.
func (b *implicitBody) bandOutputs(c0, cols, grp int, f func(off, col, n int)) {
	p, l := &b.p, b.cp.l
	out := l.oh * l.ow
	for q := c0; q < c0+cols; {
		img := q / out
		end := min(c0+cols, (img+1)*out)
		f(((b.n0+img)*p.m+grp*(p.m/p.group))*out+q%out, q-c0, end-q)
		q = end
	}
}
