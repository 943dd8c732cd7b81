//go:build amd64 && !purego

package simd

import "unsafe"

// asmDepthwiseKernels are the assembly depthwise kernels this CPU supports:
// AVX-512 only, whose masked loads make the borders free.
var asmDepthwiseKernels = func() []*DepthwiseKernel {
	if hasAVX512 {
		return []*DepthwiseKernel{{Name: "avx512", Width: 16, isa: isaAVX512}}
	}
	return nil
}()

func dw3x3Asm(_ isa, stride int, dst, src, zero []float32, planes, h, w int, wt, bias []float32, flags int, lo, hi float32) {
	var pb *float32
	if bias != nil {
		pb = unsafe.SliceData(bias)
	}
	pd, ps, pz, pw := unsafe.SliceData(dst), unsafe.SliceData(src), unsafe.SliceData(zero), unsafe.SliceData(wt)
	if stride == 2 {
		dw3x3s2AVX512(pd, ps, pz, pw, pb, planes, h, w, flags, lo, hi)
		return
	}
	dw3x3s1AVX512(pd, ps, pz, pw, pb, planes, h, w, flags, lo, hi)
}
