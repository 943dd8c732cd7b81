package simd

import (
	"fmt"
	"math/bits"
)

// ScatterSeg is one segment of a scattered tile (TileScatter): the tile's
// columns j whose bit is set in Mask are stored at y[Off+j] (row r at
// y[Off+j+r·ldy]). Off may be negative when the first column of Mask is
// not column 0.
type ScatterSeg struct{ Off, Mask int }

// HasScatter reports whether the kernel runs TileScatter in assembly (the
// full AVX-512 kernel, whose masked loads and stores do it at no cost);
// the others compute a tile and copy it out.
func (k *GemmKernel) HasScatter() bool { return k.isa == isaAVX512 && !k.narrow }

// TileScatter is TileIndirect whose tile, after the epilogue (which reads
// C, ldc, when it accumulates), is stored not into C but into y through
// segments rather than as NR contiguous columns per row: a column of no
// segment is not stored. An implicit convolution so stores its output rows
// straight into the output planes, dropping the garbage columns of its
// padded layout. The segments' masks must be disjoint. It panics when a
// segment reaches outside y; c may be nil unless ep accumulates.
func (k *GemmKernel) TileScatter(kc int, a, b []float32, o *Offsets, p0 int, c []float32, ldc int, y []float32, ldy int, scat []ScatterSeg, ep *Epilogue) {
	for _, s := range scat {
		if s.Mask == 0 {
			continue
		}
		lo, hi := bits.TrailingZeros64(uint64(s.Mask)), 63-bits.LeadingZeros64(uint64(s.Mask))
		if s.Mask < 0 || hi >= k.NR || s.Off+lo < 0 || s.Off+hi+(k.MR-1)*ldy >= len(y) {
			panic(fmt.Sprintf("simd: %s scatter tile: segment %+v outside %d values (ldy %d)", k.Name, s, len(y), ldy))
		}
	}
	if len(scat) == 0 {
		return
	}
	if !k.HasScatter() {
		k.scatterGo(kc, a, b, o, p0, c, ldc, y, ldy, scat, ep)
		return
	}
	if kc < 0 || p0 < 0 || p0+kc > len(o.offs) || len(a) < kc*k.MR || kc > 0 && (o.min < 0 || o.max+k.NR > len(b)) ||
		ep.Flags&Accumulate != 0 && (ldc < k.NR || len(c) < (k.MR-1)*ldc+k.NR) {
		panic(fmt.Sprintf("simd: %s scatter tile: kc=%d, offsets %d..%d of %d, len(a)=%d, len(b)=%d, len(c)=%d, ldc=%d",
			k.Name, kc, p0, p0+kc, len(o.offs), len(a), len(b), len(c), ldc))
	}
	if ep.Flags&RowBias != 0 && len(ep.Bias) < k.MR || ep.Flags&ColBias != 0 && len(ep.Bias) < k.NR {
		panic(fmt.Sprintf("simd: %s tile: %d bias values", k.Name, len(ep.Bias)))
	}
	tileScatterAsm(kc, a, b, o.offs[p0:p0+kc], c, ldc, y, ldy, scat, ep)
}

// scatterGo is TileScatter for kernels without it: the tile goes through
// a buffer, then to y segment by segment.
func (k *GemmKernel) scatterGo(kc int, a, b []float32, o *Offsets, p0 int, c []float32, ldc int, y []float32, ldy int, scat []ScatterSeg, ep *Epilogue) {
	tile := make([]float32, k.MR*k.NR)
	if ep.Flags&Accumulate != 0 {
		for r := range k.MR {
			copy(tile[r*k.NR:(r+1)*k.NR], c[r*ldc:])
		}
	}
	k.TileIndirect(kc, a, b, o, p0, tile, k.NR, ep)
	for _, s := range scat {
		for r := range k.MR {
			for j := range k.NR {
				if s.Mask>>j&1 != 0 {
					y[s.Off+j+r*ldy] = tile[r*k.NR+j]
				}
			}
		}
	}
}
