package native

import "unsafe"

// Small products of a batched MatMul (a transformer's attention: batch ×
// heads products of sequence × head-size matrices) cost more in sgemm's
// per-call set-up (its region, scratch buffers, parallel split) than in
// arithmetic. When every product fits one cache block, a range of the
// batch takes its packing buffers once and runs each product straight on
// the micro-kernel: its narrow form when the product is at most half a
// tile wide, and an operand shared by consecutive products (broadcast)
// packed once. Each tile is stored in place, partial ones (the last rows
// and columns of a product a tile does not divide) under a mask, rather
// than through a buffer copied out row by row.

// smallProductImpl returns the kernel that runs products of m×k by k×n
// matrices as small products, or nil when they do not fit one block.
func smallProductImpl(m, n, k int) *gemmImpl {
	impl := defaultGemm()
	if m <= 0 || n <= 0 || k <= 0 || m > impl.mc || k > impl.kc || n > impl.nc {
		return nil
	}
	if n <= impl.nr/2 {
		if nw := impl.narrowed(); nw != nil {
			return nw
		}
	}
	return impl
}

// doSmall is do for small products (g.small set), one goroutine per range.
func (w *matMulBody) doSmall(lo, hi int) {
	g := w.g
	m, n, k, impl := g.m, g.n, g.k, g.small
	abuf := getScratch(roundUp(m, impl.mr) * k)
	bbuf := getScratch(roundUp(n, impl.nr) * k)
	// A row-major B, unscaled, is read in place when the kernel can and
	// its rows lie close together. Rows far apart (a view into a wider
	// tensor: attention's values, a head of each row) map to few cache
	// sets, and each row panel of A would read them again: they are
	// packed, once per product, as before.
	strided := !g.trans[1] && w.scales[1] == 0 && impl.kern.HasStridedB() && (k-1)*g.ld[1]+n <= stridedSpan
	var lastA, lastB *float32
	for i := lo; i < hi; i++ {
		a, b, y := w.operands(i)
		if pa := unsafe.SliceData(a.data); pa != lastA {
			impl.packA(*abuf, &a, 0, m, 0, k, m)
			lastA = pa
		}
		if pb := unsafe.SliceData(b.data); pb != lastB && !strided {
			impl.packB(*bbuf, &b, 0, k, 0, n, n)
			lastB = pb
		}
		bin := &b
		if !strided {
			bin = nil
		}
		smallTiles(impl, m, n, k, *abuf, bin, *bbuf, w.y[y:], g.ld[2])
	}
	putScratch(abuf)
	putScratch(bbuf)
}

// stridedSpan bounds, in floats, the span of a B read in place by the
// small products: a quarter of a 32 KB L1 data cache.
const stridedSpan = 2048

// smallTiles computes the m×n product of the packed A and B, of depth k,
// into y (row stride ldy), tile by tile: B packed in bp or, when b is not
// nil, read in place from b (row-major, unscaled).
func smallTiles(impl *gemmImpl, m, n, k int, ap []float32, b *gemmOperand, bp, y []float32, ldy int) {
	mr, nr := impl.mr, impl.nr
	for jr := 0; jr < n; jr += nr {
		cols := min(nr, n-jr)
		for ir := 0; ir < m; ir += mr {
			at, yt, rows := ap[ir*k:(ir+mr)*k], y[ir*ldy+jr:], min(mr, m-ir)
			if b != nil {
				impl.kern.TileMaskedStrided(k, at, b.data[jr:], b.ld, yt, ldy, rows, cols)
				continue
			}
			impl.kern.TileMasked(k, at, bp[jr*k:(jr+nr)*k], yt, ldy, rows, cols)
		}
	}
}
