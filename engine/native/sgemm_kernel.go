package native

import (
	"sync"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

// gemmImpl is a GEMM micro-kernel with its cache blocking. The kernel
// computes an mr×nr tile of C from packed panels of A (mr rows) and B (nr
// columns); a kc-deep slice of an mc-row block of A stays in L2 while a
// kc×nr panel of B stays in L1, and nc bounds the columns of B packed at
// once.
type gemmImpl struct {
	kern       *simd.GemmKernel
	mr, nr     int
	kc, mc, nc int
}

// gemmImpls returns every kernel the CPU runs, fastest first, with its
// blocking.
var gemmImpls = sync.OnceValue(func() []*gemmImpl {
	var impls []*gemmImpl
	for _, k := range simd.GemmKernels() {
		// Blocks are whole tiles, so that pre-packed panels stay
		// addressable from any block.
		impls = append(impls, &gemmImpl{kern: k, mr: k.MR, nr: k.NR,
			kc: 256, mc: roundUp(128, k.MR), nc: roundUp(2048, k.NR)})
	}
	return impls
})

// defaultGemm is the kernel operators use: the fastest, unless a test
// forces another (forcedGemm).
func defaultGemm() *gemmImpl {
	if forcedGemm != nil {
		return forcedGemm
	}
	return gemmImpls()[0]
}

// defaultTaps is the tap kernel operators use, like defaultGemm.
func defaultTaps() *simd.TapKernel {
	if forcedTaps != nil {
		return forcedTaps
	}
	return simd.TapKernels()[0]
}

// forcedGemm and forcedTaps, when set (by tests, before loading a model),
// replace the fastest kernels.
var (
	forcedGemm *gemmImpl
	forcedTaps *simd.TapKernel
)

// region computes the block C[i0:i1, j0:j1]; i0 is a multiple of mr and
// j0 of nr.
func (impl *gemmImpl) region(m, n, k int, alpha float32, a, b *gemmOperand, beta float32, c []float32, ldc, i0, i1, j0, j1 int, ep *gemmEpilogue) {
	if beta != 0 {
		scaleRows(c, ldc, i0, i1, j0, j1, beta)
	}
	mPad := roundUp(m, impl.mr)
	nPad := roundUp(n, impl.nr)
	var abuf, bbuf *[]float32
	if a.packed == nil {
		abuf = getScratch(roundUp(min(impl.mc, i1-i0), impl.mr) * impl.kc)
		defer putScratch(abuf)
	}
	if b.packed == nil {
		bbuf = getScratch(roundUp(min(impl.nc, j1-j0), impl.nr) * impl.kc)
		defer putScratch(bbuf)
	}
	for jc := j0; jc < j1; jc += impl.nc {
		ncb := min(impl.nc, j1-jc)
		for pc := 0; pc < k; pc += impl.kc {
			kcb := min(impl.kc, k-pc)
			var bp []float32
			if b.packed != nil {
				bp = b.packed[pc*nPad+jc*kcb:]
			} else {
				bp = *bbuf
				impl.packB(bp, b, pc, kcb, jc, ncb, n)
			}
			last := pc+kcb >= k
			sep := ep.simdEpilogue(alpha, pc > 0 || beta != 0, last)
			for ic := i0; ic < i1; ic += impl.mc {
				mcb := min(impl.mc, i1-ic)
				var ap []float32
				if a.packed != nil {
					ap = a.packed[pc*mPad+ic*kcb:]
				} else {
					ap = *abuf
					impl.packA(ap, a, ic, mcb, pc, kcb, m)
				}
				impl.macro(mcb, ncb, kcb, ap, bp, c[ic*ldc+jc:], ldc, &sep, ep, ic, jc)
				if last && ep != nil && ep.post != nil {
					applyPost(ep.post, c, ldc, ic, mcb, jc, ncb)
				}
			}
		}
	}
}

// macro multiplies a packed mcb×kcb block of A by a packed kcb×ncb block
// of B into C, tile by tile; the block's top left corner is (i0, j0) of
// the whole C, which locates its bias values. Partial tiles at the edges go
// through a full tile on the stack.
func (impl *gemmImpl) macro(mcb, ncb, kcb int, ap, bp, c []float32, ldc int, sep *simd.Epilogue, ep *gemmEpilogue, i0, j0 int) {
	mr, nr := impl.mr, impl.nr
	var (
		tile [maxTile]float32
		bias [maxTile]float32
	)
	rowBias := sep.Flags&simd.RowBias != 0
	colBias := sep.Flags&simd.ColBias != 0
	for jr := 0; jr < ncb; jr += nr {
		cols := min(nr, ncb-jr)
		bpanel := bp[jr*kcb : (jr+nr)*kcb]
		tsep := *sep
		if colBias {
			tsep.Bias = ep.colBias[j0+jr:]
			if cols < nr {
				clear(bias[:nr])
				copy(bias[:cols], ep.colBias[j0+jr:])
				tsep.Bias = bias[:nr]
			}
		}
		for ir := 0; ir < mcb; ir += mr {
			rows := min(mr, mcb-ir)
			apanel := ap[ir*kcb : (ir+mr)*kcb]
			if rowBias {
				tsep.Bias = ep.rowBias[i0+ir:]
				if rows < mr {
					clear(bias[:mr])
					copy(bias[:rows], ep.rowBias[i0+ir:])
					tsep.Bias = bias[:mr]
				}
			}
			if rows == mr && cols == nr {
				impl.kern.Tile(kcb, apanel, bpanel, c[ir*ldc+jr:], ldc, &tsep)
				continue
			}
			kern := impl.kern
			if rows == 1 && kern.One != nil {
				// One real row (a product of one row, or a last row
				// panel holding one row: a count ≡ 1 mod mr): the kernel
				// computing it alone. Other partial panels run the full
				// kernel into the tile buffer below.
				kern = kern.One
				if cols == nr {
					kern.Tile(kcb, apanel, bpanel, c[ir*ldc+jr:], ldc, &tsep)
					continue
				}
			}
			t := tile[:mr*nr]
			if tsep.Flags&simd.Accumulate != 0 {
				for r := range rows {
					copy(t[r*nr:r*nr+cols], c[(ir+r)*ldc+jr:])
				}
			}
			kern.Tile(kcb, apanel, bpanel, t, nr, &tsep)
			for r := range rows {
				copy(c[(ir+r)*ldc+jr:(ir+r)*ldc+jr+cols], t[r*nr:])
			}
		}
	}
}

// maxTile bounds mr·nr of every kernel.
const maxTile = 8 * 32

// applyPost applies an epilogue's elementwise function to the block of C
// of mcb rows from ic and ncb columns from jc: in one call when the rows
// are whole and contiguous (a fused activation's set-up then runs once per
// block rather than per row), else row by row.
func applyPost(post func(d, x []float32), c []float32, ldc, ic, mcb, jc, ncb int) {
	if jc == 0 && ncb == ldc {
		blk := c[ic*ldc : (ic+mcb)*ldc]
		post(blk, blk)
		return
	}
	for i := ic; i < ic+mcb; i++ {
		row := c[i*ldc+jc : i*ldc+jc+ncb]
		post(row, row)
	}
}
