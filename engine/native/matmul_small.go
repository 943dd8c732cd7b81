package native

import (
	"unsafe"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

// Small products of a batched MatMul (a transformer's attention: batch ×
// heads products of sequence × head-size matrices) cost more in sgemm's
// per-call set-up (its region, scratch buffers, parallel split) than in
// arithmetic. When every product fits one cache block, a range of the
// batch takes its packing buffers once and runs each product straight on
// the micro-kernel: its narrow form when the product is at most half a
// tile wide, and an operand shared by consecutive products (broadcast)
// packed once.

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
	var sep simd.Epilogue
	var lastA, lastB *float32
	for i := lo; i < hi; i++ {
		a, b, y := w.operands(i)
		if pa := unsafe.SliceData(a.data); pa != lastA {
			impl.packA(*abuf, &a, 0, m, 0, k, m)
			lastA = pa
		}
		if pb := unsafe.SliceData(b.data); pb != lastB {
			impl.packB(*bbuf, &b, 0, k, 0, n, n)
			lastB = pb
		}
		impl.macro(m, n, k, *abuf, *bbuf, w.y[y:], g.ld[2], &sep, nil, 0, 0)
	}
	putScratch(abuf)
	putScratch(bbuf)
}
