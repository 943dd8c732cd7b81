package simd

import (
	"fmt"
	"math"
)

// Row kernels: Softmax and LayerNorm over consecutive rows of n values,
// one call for many rows. Short rows (a transformer's attention rows of
// the sequence length, its LayerNorm rows of the model width) are where a
// call per row, or a scalar reduction per row, costs more than the
// arithmetic. The statistics are float32 sums over the vector's lanes.

// HasRowKernels reports whether SoftmaxRows and LayerNormRows run in
// assembly (AVX-512).
func (k *TapKernel) HasRowKernels() bool { return k.isa == isaAVX512 }

// SoftmaxRows stores in dst the Softmax of each row of n values of src
// (len(dst)/n rows): e^(x−max) as Map's VecExp, times the float32
// reciprocal of the row's sum. A row holding a NaN or +Inf, or only −Inf,
// becomes NaN. dst may be src.
func (k *TapKernel) SoftmaxRows(dst, src []float32, n int) {
	if n <= 0 || len(dst)%n != 0 || len(src) < len(dst) {
		panic(fmt.Sprintf("simd: %s: Softmax of rows of %d values from %d into %d", k.Name, n, len(src), len(dst)))
	}
	if len(dst) == 0 {
		return
	}
	if k.isa != isaAVX512 {
		softmaxRowsGo(dst, src, n)
		return
	}
	softmaxRowsAsm(dst, src, n)
}

// LayerNormRows stores in dst each row of n values of src normalised:
// (x − mean)·inv·γ + β with inv = 1/√(variance + eps), γ and β of n values
// each, the product and the sum rounded apart. dst may be src.
func (k *TapKernel) LayerNormRows(dst, src, gamma, beta []float32, n int, eps float32) {
	if n <= 0 || len(dst)%n != 0 || len(src) < len(dst) || len(gamma) < n || len(beta) < n {
		panic(fmt.Sprintf("simd: %s: LayerNorm of rows of %d values from %d into %d (%d scales, %d biases)",
			k.Name, n, len(src), len(dst), len(gamma), len(beta)))
	}
	if len(dst) == 0 {
		return
	}
	if k.isa != isaAVX512 {
		layerNormRowsGo(dst, src, gamma, beta, n, eps)
		return
	}
	layerNormRowsAsm(dst, src, gamma, beta, n, eps)
}

// softmaxRowsGo is SoftmaxRows in Go, the exponential in float64.
func softmaxRowsGo(dst, src []float32, n int) {
	for r := 0; r < len(dst); r += n {
		x, d := src[r:r+n], dst[r:r+n]
		m := float32(math.Inf(-1))
		nan := false
		for _, v := range x {
			m = max(m, v)
			nan = nan || v != v
		}
		var sum float32
		for i, v := range x {
			e := float32(math.Exp(float64(v - m)))
			d[i] = e
			sum += e
		}
		inv := 1 / sum
		if nan {
			inv = float32(math.NaN())
		}
		for i := range d {
			d[i] *= inv
		}
	}
}

// layerNormRowsGo is LayerNormRows in Go.
func layerNormRowsGo(dst, src, gamma, beta []float32, n int, eps float32) {
	for r := 0; r < len(dst); r += n {
		x, d := src[r:r+n], dst[r:r+n]
		var sum float32
		for _, v := range x {
			sum += v
		}
		mean := sum / float32(n)
		var ss float32
		for _, v := range x {
			ss += (v - mean) * (v - mean)
		}
		inv := 1 / float32(math.Sqrt(float64(ss/float32(n)+eps)))
		for i, v := range x {
			d[i] = (v-mean)*inv*gamma[i] + beta[i]
		}
	}
}
