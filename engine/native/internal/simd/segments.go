package simd

import "fmt"

// SegWidth is the width of the B segments of TileSegments.
const SegWidth = 8

// HasSegments reports whether the kernel runs TileSegments in assembly:
// the full AVX-512 and AVX2 kernels (their NR is a multiple of SegWidth).
func (k *GemmKernel) HasSegments() bool {
	return k.isa != isaGo && !k.narrow && k.NR%SegWidth == 0
}

// TileSegments is TileIndirect with each B row made of NR/SegWidth
// segments of SegWidth values rather than NR contiguous ones: depth step p
// reads segment g at b[o[p0+p]+segs[g]:]. The columns of a tile can so
// skip values between its segments (the garbage columns of an implicit
// convolution's padded layout). Kernels without HasSegments gather the
// panel and run Tile. It panics unless every offset of the table, with
// every segment, leaves SegWidth values in b.
func (k *GemmKernel) TileSegments(kc int, a, b []float32, o *Offsets, p0 int, segs []int, c []float32, ldc int, ep *Epilogue) {
	groups := k.NR / SegWidth
	lo, hi := 0, 0
	for g, s := range segs {
		if g == 0 || s < lo {
			lo = s
		}
		if g == 0 || s > hi {
			hi = s
		}
	}
	if k.NR%SegWidth != 0 || len(segs) != groups || kc < 0 || p0 < 0 || p0+kc > len(o.offs) || len(a) < kc*k.MR ||
		ldc < k.NR || len(c) < (k.MR-1)*ldc+k.NR || kc > 0 && (o.min+lo < 0 || o.max+hi+SegWidth > len(b)) {
		panic(fmt.Sprintf("simd: %s segments tile: kc=%d, offsets %d..%d of %d, %d segments, len(a)=%d, len(b)=%d, len(c)=%d, ldc=%d",
			k.Name, kc, p0, p0+kc, len(o.offs), len(segs), len(a), len(b), len(c), ldc))
	}
	if ep.Flags&RowBias != 0 && len(ep.Bias) < k.MR || ep.Flags&ColBias != 0 && len(ep.Bias) < k.NR {
		panic(fmt.Sprintf("simd: %s tile: %d bias values", k.Name, len(ep.Bias)))
	}
	offs := o.offs[p0 : p0+kc]
	if !k.HasSegments() {
		panel := make([]float32, kc*k.NR)
		for p, at := range offs {
			for g, s := range segs {
				copy(panel[p*k.NR+g*SegWidth:p*k.NR+(g+1)*SegWidth], b[at+s:])
			}
		}
		k.Tile(kc, a, panel, c, ldc, ep)
		return
	}
	tileSegmentsAsm(k.isa, kc, a, b, offs, segs, c, ldc, ep)
}
