package native

// Block sizes of the portable SGEMM. The micro-kernel computes a
// gemmMR×gemmNR tile of C from packed panels of A (gemmMR rows) and B
// (gemmNR columns); a gemmKC-deep slice of a gemmMC-row block of A stays in
// L2 while a gemmKC×gemmNR panel of B stays in L1. The 2×4 tile is the
// largest whose accumulators fit the scalar registers Go allocates on amd64
// (larger tiles spill and run slower).
const (
	gemmMR = 2
	gemmNR = 4
	gemmKC = 256
	gemmMC = 128
	gemmNC = 2048

	// gemmMinFlopsPerThread keeps tiny products on one goroutine.
	gemmMinFlopsPerThread = 1 << 19
)

// gemmOperand is one operand of sgemm, op(X): a row-major matrix with
// leading dimension ld, used transposed when trans is set, or an operand
// packed once (constant weights) by packA or packB, in which case only
// packed is read.
type gemmOperand struct {
	data   []float32
	ld     int
	trans  bool
	packed []float32
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

// sgemm computes C = alpha·op(A)·op(B) + beta·C, where op(A) is m×k, op(B)
// is k×n and C is m×n row-major with leading dimension ldc. When beta is 0,
// C is not read (it may hold garbage). The work is split over at most
// threads goroutines by blocks of C.
//
// This is the single entry point operators use for float32 matrix products;
// a SIMD implementation replaces what is behind it.
func sgemm(m, n, k int, alpha float32, a, b gemmOperand, beta float32, c []float32, ldc, threads int) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 || alpha == 0 {
		parallelFor(threads, m, max(1, (1<<16)/n), func(lo, hi int) {
			scaleRows(c, ldc, lo, hi, 0, n, beta)
		})
		return
	}
	threads = max(1, min(threads, m*n*k/gemmMinFlopsPerThread))
	if a.packed == nil && b.packed == nil && (m == 1 || n == 1) {
		sgemv(m, n, k, alpha, &a, &b, beta, c, ldc, threads)
		return
	}
	// Split C into bands along its longer side, aligned to the tile size
	// so that pre-packed panels stay addressable.
	if n >= m {
		panels := (n + gemmNR - 1) / gemmNR
		parallelFor(threads, panels, 1, func(lo, hi int) {
			gemmRegion(m, n, k, alpha, &a, &b, beta, c, ldc, 0, m, lo*gemmNR, min(hi*gemmNR, n))
		})
		return
	}
	panels := (m + gemmMR - 1) / gemmMR
	parallelFor(threads, panels, 1, func(lo, hi int) {
		gemmRegion(m, n, k, alpha, &a, &b, beta, c, ldc, lo*gemmMR, min(hi*gemmMR, m), 0, n)
	})
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

// gemmRegion computes the block C[i0:i1, j0:j1]; i0 is a multiple of
// gemmMR and j0 of gemmNR.
func gemmRegion(m, n, k int, alpha float32, a, b *gemmOperand, beta float32, c []float32, ldc, i0, i1, j0, j1 int) {
	scaleRows(c, ldc, i0, i1, j0, j1, beta)
	mPad := roundUp(m, gemmMR)
	nPad := roundUp(n, gemmNR)
	var abuf, bbuf *[]float32
	if a.packed == nil {
		abuf = getScratch(roundUp(min(gemmMC, i1-i0), gemmMR) * gemmKC)
		defer putScratch(abuf)
	}
	if b.packed == nil {
		bbuf = getScratch(roundUp(min(gemmNC, j1-j0), gemmNR) * gemmKC)
		defer putScratch(bbuf)
	}
	for jc := j0; jc < j1; jc += gemmNC {
		ncb := min(gemmNC, j1-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kcb := min(gemmKC, k-pc)
			var bp []float32
			if b.packed != nil {
				bp = b.packed[pc*nPad+jc*kcb:]
			} else {
				bp = *bbuf
				packB(bp, b, pc, kcb, jc, ncb, n)
			}
			for ic := i0; ic < i1; ic += gemmMC {
				mcb := min(gemmMC, i1-ic)
				var ap []float32
				if a.packed != nil {
					ap = a.packed[pc*mPad+ic*kcb:]
				} else {
					ap = *abuf
					packA(ap, a, ic, mcb, pc, kcb, m)
				}
				gemmMacro(mcb, ncb, kcb, alpha, ap, bp, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// gemmMacro multiplies a packed mcb×kcb block of A by a packed kcb×ncb
// block of B into C, tile by tile.
func gemmMacro(mcb, ncb, kcb int, alpha float32, ap, bp, c []float32, ldc int) {
	for jr := 0; jr < ncb; jr += gemmNR {
		nr := min(gemmNR, ncb-jr)
		bpanel := bp[jr*kcb : (jr+gemmNR)*kcb]
		for ir := 0; ir < mcb; ir += gemmMR {
			mr := min(gemmMR, mcb-ir)
			apanel := ap[ir*kcb : (ir+gemmMR)*kcb]
			switch {
			case mr == gemmMR && nr == gemmNR:
				kernel2x4(kcb, alpha, apanel, bpanel, c[ir*ldc+jr:], ldc)
			case mr == 1 && nr == gemmNR:
				kernel1x4(kcb, alpha, apanel, bpanel, c[ir*ldc+jr:])
			default:
				var tile [gemmMR * gemmNR]float32
				kernel2x4(kcb, alpha, apanel, bpanel, tile[:], gemmNR)
				for r := range mr {
					row := c[(ir+r)*ldc+jr : (ir+r)*ldc+jr+nr]
					for j := range row {
						row[j] += tile[r*gemmNR+j]
					}
				}
			}
		}
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }
