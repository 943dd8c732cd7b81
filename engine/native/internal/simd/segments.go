package simd

import (
	"fmt"
	"slices"
)

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
	if !k.segmentsFit(kc, a, b, o, p0, segs, c, ldc) {
		panic(fmt.Sprintf("simd: %s segments tile: kc=%d, offsets %d..%d of %d, %d segments, len(a)=%d, len(b)=%d, len(c)=%d, ldc=%d",
			k.Name, kc, p0, p0+kc, len(o.offs), len(segs), len(a), len(b), len(c), ldc))
	}
	if k.biasShort(ep) {
		panic(fmt.Sprintf("simd: %s tile: %d bias values", k.Name, len(ep.Bias)))
	}
	offs := o.offs[p0 : p0+kc]
	if !k.HasSegments() {
		k.Tile(kc, a, gatherSegments(b, offs, segs, k.NR), c, ldc, ep)
		return
	}
	tileSegmentsAsm(k.isa, kc, a, b, offs, segs, c, ldc, ep)
}

// segmentsFit reports whether TileSegments' arguments hold together: NR
// segments of SegWidth, kc offsets from p0 in the table, a and c large
// enough for the tile, and every offset with every segment inside b.
func (k *GemmKernel) segmentsFit(kc int, a, b []float32, o *Offsets, p0 int, segs []int, c []float32, ldc int) bool {
	if k.NR%SegWidth != 0 || len(segs) != k.NR/SegWidth || kc < 0 || p0 < 0 || p0+kc > len(o.offs) {
		return false
	}
	if len(a) < kc*k.MR || ldc < k.NR || len(c) < (k.MR-1)*ldc+k.NR {
		return false
	}
	lo, hi := segRange(segs)
	return kc == 0 || o.min+lo >= 0 && o.max+hi+SegWidth <= len(b)
}

// segRange returns the least and the greatest segment offset (0 and 0
// for none).
func segRange(segs []int) (lo, hi int) {
	if len(segs) == 0 {
		return 0, 0
	}
	return slices.Min(segs), slices.Max(segs)
}

// gatherSegments packs the B panel TileSegments reads: for each offset,
// the segments' SegWidth values side by side, nr a step.
func gatherSegments(b []float32, offs, segs []int, nr int) []float32 {
	panel := make([]float32, len(offs)*nr)
	for p, at := range offs {
		for g, s := range segs {
			copy(panel[p*nr+g*SegWidth:p*nr+(g+1)*SegWidth], b[at+s:])
		}
	}
	return panel
}

// TileSegmentsPanels is TileSegments over panels row panels of A, one
// after the other in a (kc·MR values each): panel i computes rows i·MR to
// (i+1)·MR of C (starting at c[i·MR·ldc]) with the row biases from
// ep.Bias[i·MR:]. The assembly kernels loop over the panels themselves;
// a single panel, or an epilogue with column biases, runs panel by panel.
func (k *GemmKernel) TileSegmentsPanels(kc int, a, b []float32, o *Offsets, p0 int, segs []int, c []float32, ldc int, ep *Epilogue, panels int) {
	if panels == 1 || !k.HasSegments() || ep.Flags&ColBias != 0 {
		for i := range panels {
			pe := k.panelEpilogue(ep, i)
			k.TileSegments(kc, a[i*kc*k.MR:], b, o, p0, segs, c[i*k.MR*ldc:], ldc, &pe)
		}
		return
	}
	last := (panels - 1) * k.MR
	if !k.panelsFit(kc, a, c, ldc, ep, panels) || !k.segmentsFit(kc, a[last*kc:], b, o, p0, segs, c[last*ldc:], ldc) {
		panic(k.panelsMisfit(kc, a, c, ldc, ep, panels))
	}
	tileSegmentsPanelsAsm(k.isa, kc, a, b, o.offs[p0:p0+kc], segs, c, ldc, ep, panels)
}

// TileIndirectPanels is TileIndirect over panels row panels of A, as
// TileSegmentsPanels is TileSegments.
func (k *GemmKernel) TileIndirectPanels(kc int, a, b []float32, o *Offsets, p0 int, c []float32, ldc int, ep *Epilogue, panels int) {
	if panels == 1 || k.isa == isaGo || k.one || k.narrow || ep.Flags&ColBias != 0 {
		for i := range panels {
			pe := k.panelEpilogue(ep, i)
			k.TileIndirect(kc, a[i*kc*k.MR:], b, o, p0, c[i*k.MR*ldc:], ldc, &pe)
		}
		return
	}
	last := (panels - 1) * k.MR
	if !k.panelsFit(kc, a, c, ldc, ep, panels) || p0 < 0 || p0+kc > len(o.offs) || ldc < k.NR ||
		len(c) < last*ldc+(k.MR-1)*ldc+k.NR || kc > 0 && (o.min < 0 || o.max+k.NR > len(b)) {
		panic(k.panelsMisfit(kc, a, c, ldc, ep, panels))
	}
	tileIndirectPanelsAsm(k.isa, kc, a, b, o.offs[p0:p0+kc], c, ldc, ep, panels)
}

// panelEpilogue is ep for row panel i: its row biases from i·MR.
func (k *GemmKernel) panelEpilogue(ep *Epilogue, i int) Epilogue {
	pe := *ep
	if pe.Flags&RowBias != 0 {
		pe.Bias = ep.Bias[i*k.MR:]
	}
	return pe
}

// panelsFit reports whether a holds the panels' A, c reaches their last
// panel and ep has their row biases (the kernel's own checks, on the last
// panel, cover the rest: a and c are only longer before it).
func (k *GemmKernel) panelsFit(kc int, a, c []float32, ldc int, ep *Epilogue, panels int) bool {
	return kc >= 0 && len(a) >= panels*kc*k.MR && len(c) >= (panels-1)*k.MR*ldc &&
		(ep.Flags&RowBias == 0 || len(ep.Bias) >= panels*k.MR)
}

// panelsMisfit is the panic message of a panels call whose arguments do
// not fit.
func (k *GemmKernel) panelsMisfit(kc int, a, c []float32, ldc int, ep *Epilogue, panels int) string {
	return fmt.Sprintf("simd: %s panels: %d panels, kc=%d, len(a)=%d, len(c)=%d, ldc=%d, %d biases",
		k.Name, panels, kc, len(a), len(c), ldc, len(ep.Bias))
}
