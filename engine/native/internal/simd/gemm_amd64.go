//go:build !purego

package simd

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

var (
	// hasAVX512 requires the OS to save the ZMM and mask registers, which
	// x/sys/cpu checks.
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasBMI2
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

// asmGemmKernels are the assembly GEMM kernels this CPU supports, fastest
// first.
var asmGemmKernels = func() []*GemmKernel {
	var ks []*GemmKernel
	if hasAVX512 {
		ks = append(ks, &GemmKernel{Name: "avx512-8x32", MR: 8, NR: 32, isa: isaAVX512,
			Narrow: &GemmKernel{Name: "avx512-8x16", MR: 8, NR: 16, isa: isaAVX512, narrow: true},
			One:    &GemmKernel{Name: "avx512-1x32", MR: 8, NR: 32, isa: isaAVX512, one: true},
			Trans:  &GemmKernel{Name: "avx512-8x32-trans", MR: 8, NR: 32, isa: isaAVX512, trans: true}})
	}
	if hasAVX2 {
		ks = append(ks, &GemmKernel{Name: "avx2-6x16", MR: 6, NR: 16, isa: isaAVX2,
			Narrow: &GemmKernel{Name: "avx2-6x8", MR: 6, NR: 8, isa: isaAVX2, narrow: true}})
	}
	return ks
}()

// asmTapKernels are the assembly tap kernels this CPU supports.
var asmTapKernels = func() []*TapKernel {
	var ks []*TapKernel
	if hasAVX512 {
		ks = append(ks, &TapKernel{Name: "avx512", Width: 16, isa: isaAVX512})
	}
	if hasAVX2 {
		ks = append(ks, &TapKernel{Name: "avx2", Width: 8, isa: isaAVX2})
	}
	return ks
}()

func tileAsm(isa isa, narrow bool, kc int, a, b, c []float32, ldc int, ep *Epilogue) {
	pa, pb, pc, bias := unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c), biasPtr(ep)
	switch {
	case narrow && isa == isaAVX512:
		gemmKernel8x16AVX512(kc, pa, pb, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
		return
	case narrow:
		gemmKernel6x8AVX2(kc, pa, pb, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
		return
	}
	if isa == isaAVX512 {
		gemmKernel8x32AVX512(kc, pa, pb, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
		return
	}
	gemmKernel6x16AVX2(kc, pa, pb, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
}

func tileMaskedAsm(narrow bool, kc int, a, b, c []float32, ldc, rows, mask int) {
	pa, pb, pc := unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c)
	if narrow {
		gemmKernel8x16AVX512Masked(kc, pa, pb, pc, ldc, rows, mask)
		return
	}
	gemmKernel8x32AVX512Masked(kc, pa, pb, pc, ldc, rows, mask)
}

func tileMaskedStridedAsm(narrow bool, kc int, a, b []float32, ldb int, c []float32, ldc, rows, mask int) {
	pa, pb, pc := unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c)
	if narrow {
		gemmKernel8x16AVX512MaskedStrided(kc, pa, pb, ldb, pc, ldc, rows, mask)
		return
	}
	gemmKernel8x32AVX512MaskedStrided(kc, pa, pb, ldb, pc, ldc, rows, mask)
}

var hasTranspose8 = hasAVX512

func transpose8Asm(dst []float32, ldd int, src []float32, lds, k, n int) {
	transpose8AVX512(unsafe.SliceData(dst), ldd, unsafe.SliceData(src), lds, k, n)
}

func tileOneAsm(kc int, a, b, c []float32, ep *Epilogue) {
	pa, pb, pc, bias := unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c), biasPtr(ep)
	gemmKernel1x32AVX512(kc, pa, pb, pc, 0, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
}

func tileTransAsm(kc int, a []float32, offs []int, b, c []float32, ldc int, ep *Epilogue) {
	pa, po, pb, pc, bias := unsafe.SliceData(a), unsafe.SliceData(offs), unsafe.SliceData(b), unsafe.SliceData(c), biasPtr(ep)
	gemmKernel8x32AVX512Trans(kc, pa, po, pb, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
}

func tileIndirectAsm(isa isa, narrow bool, kc int, a, b []float32, offs []int, c []float32, ldc int, ep *Epilogue) {
	pa, pb, po, pc, bias := unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(offs), unsafe.SliceData(c), biasPtr(ep)
	switch {
	case narrow && isa == isaAVX512:
		gemmKernel8x16AVX512Indirect(kc, pa, pb, po, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
	case narrow:
		gemmKernel6x8AVX2Indirect(kc, pa, pb, po, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
	case isa == isaAVX512 && ep.Flags&Prefetch != 0:
		gemmKernel8x32AVX512IndirectPrefetch(kc, pa, pb, po, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
	case isa == isaAVX512:
		gemmKernel8x32AVX512Indirect(kc, pa, pb, po, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
	case ep.Flags&Prefetch != 0:
		gemmKernel6x16AVX2IndirectPrefetch(kc, pa, pb, po, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
	default:
		gemmKernel6x16AVX2Indirect(kc, pa, pb, po, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
	}
}

func tileSegmentsAsm(isa isa, kc int, a, b []float32, offs, segs []int, c []float32, ldc int, ep *Epilogue) {
	pa, pb, po, ps, pc, bias := unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(offs), unsafe.SliceData(segs), unsafe.SliceData(c), biasPtr(ep)
	if isa == isaAVX512 {
		gemmKernel8x32AVX512Segments(kc, pa, pb, po, ps, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
		return
	}
	gemmKernel6x16AVX2Segments(kc, pa, pb, po, ps, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi)
}

func biasPtr(ep *Epilogue) *float32 {
	if ep.Flags&(RowBias|ColBias) == 0 {
		return nil
	}
	return unsafe.SliceData(ep.Bias)
}

func tapSumAsm(isa isa, dst, src []float32, offs []int, w []float32, flags int, bias, lo, hi float32) {
	pd, ps, po, pw := unsafe.SliceData(dst), unsafe.SliceData(src), unsafe.SliceData(offs), unsafe.SliceData(w)
	if isa == isaAVX512 {
		tapSumAVX512(pd, len(dst), ps, po, pw, len(w), flags, bias, lo, hi)
		return
	}
	tapSumAVX2(pd, len(dst), ps, po, pw, len(w), flags, bias, lo, hi)
}

func tapPlanesAsm(isa isa, width int, dst, src []float32, g *Planes, offs []int, w, bias []float32, flags int, lo, hi float32) {
	pd, ps, po, pw := unsafe.SliceData(dst), unsafe.SliceData(src), unsafe.SliceData(offs), unsafe.SliceData(w)
	var pb *float32
	if bias != nil {
		pb = unsafe.SliceData(bias)
	}
	// The kernel steps its pointers by bytes: past a row's whole vectors
	// to the next row, past the last row to the next plane.
	done := g.Cols &^ (width - 1)
	rowD, rowS := 4*(g.DstRow-done), 4*(g.SrcRow-done)
	planeD, planeS := 4*(g.DstPlane-g.Rows*g.DstRow), 4*(g.SrcPlane-g.Rows*g.SrcRow)
	if isa == isaAVX512 {
		tapPlanesAVX512(pd, ps, po, pw, pb, len(offs), flags, g.Planes, g.Rows, g.Cols, rowD, rowS, planeD, planeS, lo, hi)
		return
	}
	tapPlanesAVX2(pd, ps, po, pw, pb, len(offs), flags, g.Planes, g.Rows, g.Cols, rowD, rowS, planeD, planeS, lo, hi)
}

func tapMaxAsm(isa isa, dst, src []float32, offs []int) {
	pd, ps, po := unsafe.SliceData(dst), unsafe.SliceData(src), unsafe.SliceData(offs)
	if isa == isaAVX512 {
		tapMaxAVX512(pd, len(dst), ps, po, len(offs))
		return
	}
	tapMaxAVX2(pd, len(dst), ps, po, len(offs))
}

func deinterleave2DAsm(even []float32, lde int, odd []float32, ldo int, src []float32, lds, rows, n int) {
	deinterleave2DAVX512(unsafe.SliceData(even), lde, unsafe.SliceData(odd), ldo, unsafe.SliceData(src), lds, rows, n)
}

func copy2DAsm(isa isa, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if isa == isaAVX512 {
		copy2DAVX512(unsafe.SliceData(dst), ldd, unsafe.SliceData(src), lds, rows, cols)
		return
	}
	copy2DAVX2(unsafe.SliceData(dst), ldd, unsafe.SliceData(src), lds, rows, cols)
}

func copy3DAsm(isa isa, dst []float32, ldd, ldp int, src []float32, lds, lsp, planes, rows, cols int) {
	if isa == isaAVX512 {
		copy3DAVX512(unsafe.SliceData(dst), ldd, ldp, unsafe.SliceData(src), lds, lsp, planes, rows, cols)
		return
	}
	copy3DAVX2(unsafe.SliceData(dst), ldd, ldp, unsafe.SliceData(src), lds, lsp, planes, rows, cols)
}

func mapAsm(isa isa, op VecOp, dst, a, b []float32, s float32) {
	pd, pa, pb := unsafe.SliceData(dst), unsafe.SliceData(a), unsafe.SliceData(b)
	if isa == isaAVX512 {
		vecAVX512(int(op), pd, pa, pb, len(dst), s)
		return
	}
	vecAVX2(int(op), pd, pa, pb, len(dst), s)
}

func gatherAsm(dst, src []float32, offs []int, nr int, runs [][3]int32) {
	gatherRunsAVX512(unsafe.SliceData(dst), unsafe.SliceData(src), unsafe.SliceData(offs), len(offs), nr, &runs[0][0], len(runs))
}

func maxPool2x2Asm(y, x []float32, groups, gstride, bpg, delta int, idx *[32]int32) {
	maxPool2x2AVX512(unsafe.SliceData(y), unsafe.SliceData(x), groups, gstride, bpg, delta, &idx[0])
}

func tileSegmentsPanelsAsm(isa isa, kc int, a, b []float32, offs, segs []int, c []float32, ldc int, ep *Epilogue, panels int) {
	pa, pb, po, ps, pc, bias := unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(offs), unsafe.SliceData(segs), unsafe.SliceData(c), biasPtr(ep)
	if isa == isaAVX512 {
		gemmKernel8x32AVX512SegmentsPanels(kc, pa, pb, po, ps, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi, panels)
		return
	}
	gemmKernel6x16AVX2SegmentsPanels(kc, pa, pb, po, ps, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi, panels)
}

func tileIndirectPanelsAsm(isa isa, kc int, a, b []float32, offs []int, c []float32, ldc int, ep *Epilogue, panels int) {
	pa, pb, po, pc, bias := unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(offs), unsafe.SliceData(c), biasPtr(ep)
	if isa == isaAVX512 {
		gemmKernel8x32AVX512IndirectPanels(kc, pa, pb, po, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi, panels)
		return
	}
	gemmKernel6x16AVX2IndirectPanels(kc, pa, pb, po, pc, ldc, ep.Flags, ep.Alpha, bias, ep.Lo, ep.Hi, panels)
}

func winoTransformAsm(kind WinoKind, dst []float32, do []int, src []float32, so []int, n int) {
	pd, pdo, ps, pso := unsafe.SliceData(dst), unsafe.SliceData(do), unsafe.SliceData(src), unsafe.SliceData(so)
	switch kind {
	case WinoInput2:
		winoInput2AVX512(pd, pdo, ps, pso, n)
	case WinoInput4:
		winoInput4AVX512(pd, pdo, ps, pso, n)
	case WinoOutput2:
		winoOutput2AVX512(pd, pdo, ps, pso, n)
	default:
		winoOutput4AVX512(pd, pdo, ps, pso, n)
	}
}

func softmaxRowsAsm(dst, src []float32, n int) {
	softmaxRowsAVX512(unsafe.SliceData(dst), unsafe.SliceData(src), len(dst)/n, n)
}

func layerNormRowsAsm(dst, src, gamma, beta []float32, n int, eps float32) {
	layerNormRowsAVX512(unsafe.SliceData(dst), unsafe.SliceData(src), unsafe.SliceData(gamma), unsafe.SliceData(beta), len(dst)/n, n, eps)
}
