package native

// Packed layouts. A block of op(A) covering rows [i0, i0+mcb) and depth
// [p0, p0+kcb) is stored as row panels of gemmMR rows; panel r holds element
// (i0+r*gemmMR+ii, p0+p) at r*gemmMR*kcb + p*gemmMR + ii, and rows past m are
// zero. B is the mirror image: column panels of gemmNR columns, element
// (p0+p, j0+c*gemmNR+jj) at c*gemmNR*kcb + p*gemmNR + jj. A whole operand
// packed at load stores its gemmKC-deep blocks one after another, so the
// block at depth pc starts at pc*roundUp(rows, tile).

// packA packs op(A)[i0:i0+mcb, p0:p0+kcb] into dst.
func packA(dst []float32, a *gemmOperand, i0, mcb, p0, kcb, m int) {
	for ir := 0; ir < mcb; ir += gemmMR {
		panel := dst[ir*kcb : (ir+gemmMR)*kcb]
		for ii := range gemmMR {
			i := i0 + ir + ii
			if i >= m || ir+ii >= mcb {
				for p := range kcb {
					panel[p*gemmMR+ii] = 0
				}
				continue
			}
			if a.trans {
				src := a.data[p0*a.ld+i:]
				for p := range kcb {
					panel[p*gemmMR+ii] = src[p*a.ld]
				}
				continue
			}
			src := a.data[i*a.ld+p0 : i*a.ld+p0+kcb]
			for p, v := range src {
				panel[p*gemmMR+ii] = v
			}
		}
	}
}

// packB packs op(B)[p0:p0+kcb, j0:j0+ncb] into dst.
func packB(dst []float32, b *gemmOperand, p0, kcb, j0, ncb, n int) {
	for jr := 0; jr < ncb; jr += gemmNR {
		panel := dst[jr*kcb : (jr+gemmNR)*kcb]
		cols := min(gemmNR, ncb-jr, n-j0-jr)
		j := j0 + jr
		if !b.trans && cols == gemmNR {
			for p := range kcb {
				src := b.data[(p0+p)*b.ld+j : (p0+p)*b.ld+j+gemmNR]
				d := panel[p*gemmNR : p*gemmNR+gemmNR]
				d[0], d[1], d[2], d[3] = src[0], src[1], src[2], src[3]
			}
			continue
		}
		for jj := range gemmNR {
			if jj >= cols {
				for p := range kcb {
					panel[p*gemmNR+jj] = 0
				}
				continue
			}
			if b.trans {
				src := b.data[(j+jj)*b.ld+p0 : (j+jj)*b.ld+p0+kcb]
				for p, v := range src {
					panel[p*gemmNR+jj] = v
				}
				continue
			}
			src := b.data[p0*b.ld+j+jj:]
			for p := range kcb {
				panel[p*gemmNR+jj] = src[p*b.ld]
			}
		}
	}
}

// prepackA packs all of op(A) (m×k) for repeated use as sgemm's A operand.
func prepackA(a gemmOperand, m, k int) gemmOperand {
	mPad := roundUp(m, gemmMR)
	dst := make([]float32, mPad*k)
	for pc := 0; pc < k; pc += gemmKC {
		kcb := min(gemmKC, k-pc)
		packA(dst[pc*mPad:], &a, 0, m, pc, kcb, m)
	}
	return gemmOperand{packed: dst}
}

// prepackB packs all of op(B) (k×n) for repeated use as sgemm's B operand.
func prepackB(b gemmOperand, k, n int) gemmOperand {
	nPad := roundUp(n, gemmNR)
	dst := make([]float32, nPad*k)
	for pc := 0; pc < k; pc += gemmKC {
		kcb := min(gemmKC, k-pc)
		packB(dst[pc*nPad:], &b, pc, kcb, 0, n, n)
	}
	return gemmOperand{packed: dst}
}
