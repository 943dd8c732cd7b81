package simd

import "fmt"

// HasTranspose8 reports whether Transpose8 runs in assembly (AVX-512).
func HasTranspose8() bool { return hasTranspose8 }

// Transpose8 writes dst[p·ldd + r] = src[r·lds + p] for r < n and 0 for
// n <= r < 8, for p < k: the transpose of n (1 to 8) rows of k values, as
// a GEMM packs a panel of a row-major A (ldd 8) or half a panel of a
// transposed B (ldd 16). It panics when ldd < 8, n is out of range or a
// slice is too short.
func Transpose8(dst []float32, ldd int, src []float32, lds, k, n int) {
	if k < 0 || ldd < 8 || lds < 0 || n < 1 || n > 8 || k > 0 && (len(src) < (n-1)*lds+k || len(dst) < (k-1)*ldd+8) {
		panic(fmt.Sprintf("simd: transpose of %d rows of %d: len(dst)=%d, ldd=%d, len(src)=%d, lds=%d", n, k, len(dst), ldd, len(src), lds))
	}
	if k == 0 {
		return
	}
	if hasTranspose8 {
		transpose8Asm(dst, ldd, src, lds, k, n)
		return
	}
	for p := range k {
		d := dst[p*ldd : p*ldd+8]
		for r := range d {
			d[r] = 0
			if r < n {
				d[r] = src[r*lds+p]
			}
		}
	}
}
