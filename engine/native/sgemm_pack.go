package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// Packed layouts. A block of op(A) covering rows [i0, i0+mcb) and depth
// [p0, p0+kcb) is stored as row panels of mr rows; panel r holds element
// (i0+r*mr+ii, p0+p) at r*mr*kcb + p*mr + ii, and rows past m are zero. B is
// the mirror image: column panels of nr columns, element (p0+p, j0+c*nr+jj)
// at c*nr*kcb + p*nr + jj. A whole operand packed at load stores its
// kc-deep blocks one after another, so the block at depth pc starts at
// pc*roundUp(rows, tile).

// packA packs op(A)[i0:i0+mcb, p0:p0+kcb] into dst.
func (impl *gemmImpl) packA(dst []float32, a *gemmOperand, i0, mcb, p0, kcb, m int) {
	mr := impl.mr
	if a.scale != 0 {
		defer scaleSlice(dst[:roundUp(mcb, mr)*kcb], a.scale)
	}
	for ir := 0; ir < mcb; ir += mr {
		panel := dst[ir*kcb : (ir+mr)*kcb]
		rows := min(mr, mcb-ir, m-i0-ir)
		if mr == 8 && !a.trans && rows >= 1 && simd.HasTranspose8() {
			// 8×8 blocks transposed in registers.
			simd.Transpose8(panel, 8, a.data[(i0+ir)*a.ld+p0:], a.ld, kcb, rows)
			continue
		}
		if mr == 8 && !a.trans && rows == mr {
			packA8(panel, a, i0+ir, p0, kcb)
			continue
		}
		if rows < mr {
			// A partial panel (a GEMM of a few rows, such as a fully
			// connected layer at batch 1): one clear, rather than a
			// strided store of every padding value.
			clear(panel)
		}
		for ii := range rows {
			i := i0 + ir + ii
			if a.trans {
				src := a.data[p0*a.ld+i:]
				for p := range kcb {
					panel[p*mr+ii] = src[p*a.ld]
				}
				continue
			}
			src := a.data[i*a.ld+p0 : i*a.ld+p0+kcb]
			for p, v := range src {
				panel[p*mr+ii] = v
			}
		}
	}
}

// packA8 packs a full panel of 8 rows of a row-major A, from row i and
// column p0, kcb deep: the 8 rows are read side by side and the panel
// written in order, rather than one row at a time with strided stores.
func packA8(panel []float32, a *gemmOperand, i, p0, kcb int) {
	row := func(r int) []float32 {
		o := (i+r)*a.ld + p0
		return a.data[o : o+kcb : o+kcb]
	}
	r0, r1, r2, r3, r4, r5, r6, r7 := row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)
	panel = panel[:8*kcb]
	for p := range kcb {
		d := panel[8*p : 8*p+8 : 8*p+8]
		d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		d[4], d[5], d[6], d[7] = r4[p], r5[p], r6[p], r7[p]
	}
}

// packB packs op(B)[p0:p0+kcb, j0:j0+ncb] into dst.
func (impl *gemmImpl) packB(dst []float32, b *gemmOperand, p0, kcb, j0, ncb, n int) {
	nr := impl.nr
	if b.scale != 0 {
		defer scaleSlice(dst[:roundUp(ncb, nr)*kcb], b.scale)
	}
	for jr := 0; jr < ncb; jr += nr {
		panel := dst[jr*kcb : (jr+nr)*kcb]
		cols := min(nr, ncb-jr, n-j0-jr)
		j := j0 + jr
		if !b.trans {
			for p := range kcb {
				d := panel[p*nr : p*nr+nr]
				copy(d, b.data[(p0+p)*b.ld+j:(p0+p)*b.ld+j+cols])
				clear(d[cols:])
			}
			continue
		}
		done := 0
		for ; nr%8 == 0 && simd.HasTranspose8() && done < cols; done += 8 {
			// 8 columns of B are 8 rows of Bᵀ, transposed in registers.
			simd.Transpose8(panel[done:], nr, b.data[(j+done)*b.ld+p0:], b.ld, kcb, min(8, cols-done))
		}
		for jj := done; jj < nr; jj++ {
			if jj >= cols {
				for p := range kcb {
					panel[p*nr+jj] = 0
				}
				continue
			}
			src := b.data[(j+jj)*b.ld+p0 : (j+jj)*b.ld+p0+kcb]
			for p, v := range src {
				panel[p*nr+jj] = v
			}
		}
	}
}

// prepackA packs all of op(A) (m×k) for repeated use as sgemm's A operand
// with kernel impl.
func (impl *gemmImpl) prepackA(a gemmOperand, m, k int) gemmOperand {
	mPad := roundUp(m, impl.mr)
	dst := make([]float32, mPad*k)
	for pc := 0; pc < k; pc += impl.kc {
		kcb := min(impl.kc, k-pc)
		impl.packA(dst[pc*mPad:], &a, 0, m, pc, kcb, m)
	}
	return gemmOperand{packed: dst, impl: impl}
}

// prepackB packs all of op(B) (k×n) for repeated use as sgemm's B operand
// with kernel impl.
func (impl *gemmImpl) prepackB(b gemmOperand, k, n int) gemmOperand {
	nPad := roundUp(n, impl.nr)
	dst := make([]float32, nPad*k)
	for pc := 0; pc < k; pc += impl.kc {
		kcb := min(impl.kc, k-pc)
		impl.packB(dst[pc*nPad:], &b, pc, kcb, 0, n, n)
	}
	return gemmOperand{packed: dst, impl: impl}
}

// prepackA and prepackB pack for the default kernel.
func prepackA(a gemmOperand, m, k int) gemmOperand { return defaultGemm().prepackA(a, m, k) }
func prepackB(b gemmOperand, k, n int) gemmOperand { return defaultGemm().prepackB(b, k, n) }
