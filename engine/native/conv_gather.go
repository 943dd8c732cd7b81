package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// Gathered implicit GEMM: when the padded layout's garbage is a large
// share of the outputs (planes of 7×7 and 14×14, whose rows carry one
// garbage column per 7 or 14 outputs, and whose runs end in ragged column
// tiles), the B panels are packed from the planes by gathering the valid
// outputs alone (simd.TapKernel.Gather), numbered across the chunk's
// images, so that the kernel computes no garbage column and the tiles are
// full except the chunk's last. The packed panel costs a gather per depth
// step and tile (3-4% of a 14×14 convolution), so a chunk is gathered only
// when that saves a tenth of the column tiles (gatherPays): several images
// (ResNet-18's sub-batches of 4 at batch 32), not one. The product lands
// in a band buffer scattered to the output like the plain implicit
// GEMM's.

// gatherMaxWidth bounds the output rows taking the gathered path: wider
// rows have little garbage (a 28-wide row one column in 29), about what
// the gathers cost (28×28 at batch 1, forced: 5-8% slower).
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
// saves enough column tiles over the plain implicit GEMM's run (its
// garbage columns and rows) to pay for the gathers: a tenth. A 7×7 plane
// alone is 2 tiles either way; four of them 6.5 gathered against 8.
func gatherPays(impl *gemmImpl, l *tapLayout, imgs int) bool {
	plain := imgs*l.hq*l.wq - (l.hq-l.oh)*l.wq
	return 10*tileCost(impl, imgs*l.oh*l.ow) <= 9*tileCost(impl, plain)
}

// tileCost is the cost of cols columns of impl's kernel in full column
// tiles: a last tile of at most nr/2 columns is half one on the narrow
// kernel.
func tileCost(impl *gemmImpl, cols int) float64 {
	cost := float64(cols / impl.nr)
	if rem := cols % impl.nr; rem > 0 && rem <= impl.nr/2 && impl.kern.Narrow != nil {
		cost += 0.5
	} else if rem > 0 {
		cost++
	}
	return cost
}

// narrowed returns impl on its narrow kernel (the same packed A panels,
// B panels half as wide), or nil when it has none.
func (impl *gemmImpl) narrowed() *gemmImpl {
	k := impl.kern.Narrow
	if k == nil {
		return nil
	}
	return &gemmImpl{kern: k, mr: k.MR, nr: k.NR, kc: impl.kc, mc: impl.mc, nc: impl.nc}
}

// gatherBands sets the bands of the chunk in progress (imgs images) for
// the gathered product, and its blocks of output channels, and returns
// the number of items: bands × groups × blocks.
func (b *implicitBody) gatherBands(threads, mg, kg int) int {
	l, nr := b.cp.l, b.cp.gemm.nr
	b.cols = b.imgs * l.oh * l.ow
	bandCols := min(gatherMaxCols, max(4*nr, (1<<17)/max(1, mg)))
	flops := 2 * mg * kg * b.cols * b.p.group
	bands := max((b.cols+bandCols-1)/bandCols, min(threads, (b.cols+nr-1)/nr, parallelTasks(flops)))
	b.bandCols = roundUp((b.cols+bands-1)/bands, nr)
	bands = (b.cols + b.bandCols - 1) / b.bandCols
	b.mBlocks, b.mPer = rowBlocks(threads, bands*b.p.group, mg, b.cp.gemm.mr, flops)
	return bands * b.p.group * b.mBlocks
}

// rowBlocks returns how many blocks of output rows, and how many rows
// each (whole panels of mr), the items of a product of m rows are cut
// into so that threads goroutines have one each: none (one block of m)
// when the items are enough, or when flops of work are not worth more
// parallel tasks. A small plane (4×4 or 8×8 at batch 1) is a single
// column tile, one item, which ran on one thread however many channels
// it had.
func rowBlocks(threads, items, m, mr, flops int) (blocks, per int) {
	if items >= threads {
		return 1, m
	}
	return outputBlocks(threads, items, m, mr, flops)
}

// gathered computes the items [lo, hi) (band-major, then group, then
// block of output rows) of the gathered product.
func (b *implicitBody) gathered(lo, hi int) {
	p, cp, l := &b.p, b.cp, b.cp.l
	impl, nr := cp.gemm, cp.gemm.nr
	cg, mg := p.c/p.group, p.m/p.group
	kg, out := cg*l.kh*l.kw, l.oh*l.ow
	ldc := b.bandCols
	ctmp := getScratch(mg * ldc)
	defer putScratch(ctmp)
	bbuf := getScratch(min(impl.kc, kg) * ldc)
	defer putScratch(bbuf)
	var idx [gatherMaxCols]int32
	for t := lo; t < hi; t++ {
		m0 := t % b.mBlocks * b.mPer
		m1 := min(mg, m0+b.mPer)
		g := t / b.mBlocks
		grp, c0 := g%p.group, g/p.group*b.bandCols
		cols := min(b.cols, c0+b.bandCols) - c0
		tiles := (cols + nr - 1) / nr
		for i := range tiles * nr {
			q := c0 + min(i, cols-1) // past the band: a valid column, dropped
			idx[i] = int32(q/out*l.plane() + q%out/l.ow*l.wq + q%l.ow)
		}
		// Whole tiles: the last one's extra columns repeat a valid output,
		// which costs less than a partial tile's copies through a buffer;
		// a last tile of at most nr/2 columns runs on the narrow kernel.
		full, narrow := tiles, (*gemmImpl)(nil)
		if cp.narrow != nil && cols-(tiles-1)*nr <= cp.narrow.nr {
			full, narrow = tiles-1, cp.narrow
		}
		c := (*ctmp)[:mg*ldc]
		ep := p.groupEpilogue(grp)
		accumulate := p.residual != nil
		if accumulate {
			b.bandOutputs(c0, cols, grp, func(off, col, n int) {
				copyRows(c[m0*ldc+col:], ldc, p.residual[off+m0*out:], out, m1-m0, n)
			})
		}
		planes := b.planes[grp*cg*cp.chStride:]
		for pc := 0; pc < kg; pc += impl.kc {
			kcb := min(impl.kc, kg-pc)
			bp := (*bbuf)[:tiles*nr*kcb]
			for i := range full {
				cp.taps.Gather(bp[i*nr*kcb:], planes, cp.table, pc, kcb, idx[i*nr:(i+1)*nr])
			}
			if narrow != nil {
				cp.taps.Gather(bp[full*nr*kcb:], planes, cp.table, pc, kcb, idx[full*nr:full*nr+narrow.nr])
			}
			sep := ep.simdEpilogue(1, pc > 0 || accumulate, pc+kcb >= kg)
			ap := b.weights[grp].packed[pc*roundUp(mg, impl.mr):]
			for ic := m0; ic < m1; ic += impl.mc {
				mcb := min(impl.mc, m1-ic)
				if full > 0 {
					impl.macro(mcb, full*nr, kcb, ap[ic*kcb:], bp, c[ic*ldc:], ldc, &sep, &ep, ic, 0)
				}
				if narrow != nil {
					narrow.macro(mcb, narrow.nr, kcb, ap[ic*kcb:], bp[full*nr*kcb:], c[ic*ldc+full*nr:], ldc, &sep, &ep, ic, full*nr)
				}
			}
		}
		if ep.post != nil {
			for i := m0; i < m1; i++ {
				row := c[i*ldc : i*ldc+cols]
				ep.post(row, row)
			}
		}
		b.bandOutputs(c0, cols, grp, func(off, col, n int) {
			copyRows(p.y[off+m0*out:], out, c[m0*ldc+col:], ldc, m1-m0, n)
		})
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
