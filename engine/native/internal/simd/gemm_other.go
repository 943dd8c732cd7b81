//go:build !amd64 || purego

package simd

// Without assembly only the Go kernels exist: the lists are empty and the
// dispatchers below are never reached (every kernel they could be asked
// for is isaGo, which the callers run directly).
var (
	asmGemmKernels []*GemmKernel
	asmTapKernels  []*TapKernel
)

const noAsm = "simd: no assembly kernels in this build"

func tileAsm(isa, bool, int, []float32, []float32, []float32, int, *Epilogue) { panic(noAsm) }

func tileOneAsm(int, []float32, []float32, []float32, *Epilogue) { panic(noAsm) }

const hasTranspose8 = false

func transpose8Asm([]float32, int, []float32, int, int, int) { panic(noAsm) }

func tileMaskedAsm(bool, int, []float32, []float32, []float32, int, int, int) { panic(noAsm) }

func tileMaskedStridedAsm(bool, int, []float32, []float32, int, []float32, int, int, int) {
	panic(noAsm)
}

func tileTransAsm(int, []float32, []int, []float32, []float32, int, *Epilogue) { panic(noAsm) }

func tileIndirectAsm(isa, bool, int, []float32, []float32, []int, []float32, int, *Epilogue) {
	panic(noAsm)
}

func tapSumAsm(isa, []float32, []float32, []int, []float32, int, float32, float32, float32) {
	panic(noAsm)
}

func tapPlanesAsm(isa, int, []float32, []float32, *Planes, []int, []float32, []float32, int, float32, float32) {
	panic(noAsm)
}

func tapMaxAsm(isa, []float32, []float32, []int) { panic(noAsm) }

func deinterleave2DAsm([]float32, int, []float32, int, []float32, int, int, int) { panic(noAsm) }

func copy2DAsm(isa, []float32, int, []float32, int, int, int) { panic(noAsm) }

func copy3DAsm(isa, []float32, int, int, []float32, int, int, int, int, int) { panic(noAsm) }

func mapAsm(isa, VecOp, []float32, []float32, []float32, float32) { panic(noAsm) }

func tileSegmentsAsm(isa, int, []float32, []float32, []int, []int, []float32, int, *Epilogue) {
	panic(noAsm)
}

func gatherAsm([]float32, []float32, []int, int, [][3]int32) { panic(noAsm) }

func maxPool2x2Asm([]float32, []float32, int, int, int, int, *[32]int32) { panic(noAsm) }

func tileSegmentsPanelsAsm(isa, int, []float32, []float32, []int, []int, []float32, int, *Epilogue, int) {
	panic(noAsm)
}

func tileIndirectPanelsAsm(isa, int, []float32, []float32, []int, []float32, int, *Epilogue, int) {
	panic(noAsm)
}

func winoTransformAsm(WinoKind, []float32, []int, []float32, []int, int) { panic(noAsm) }

func softmaxRowsAsm([]float32, []float32, int) { panic(noAsm) }

func layerNormRowsAsm([]float32, []float32, []float32, []float32, int, float32) { panic(noAsm) }
