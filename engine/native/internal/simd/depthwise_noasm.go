//go:build !amd64 || purego

package simd

// Without assembly only the Go depthwise kernel exists.
var asmDepthwiseKernels []*DepthwiseKernel

func dw3x3Asm(isa, int, []float32, []float32, []float32, int, int, int, []float32, []float32, int, float32, float32) {
	panic(noAsm)
}
