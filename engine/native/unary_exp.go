package native

import (
	"math"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

// exp32 is e^x in float32 (Cephes' expf: x = n·ln2 + r, e^r by a
// polynomial, times 2^n; within 2 float32 ulps of math.Exp), 0 below the
// normal range and +Inf above it.
func exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	}
	n := float32(math.Floor(float64(x*1.44269504088896341 + 0.5)))
	r := x - n*0.693359375 + n*2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	if n > 127 {
		// 2^128 is not a float32: scale by 2 first.
		y, n = y*2, n-1
	}
	return y * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// expSlice sets d[i] = e^x[i] in float32.
func expSlice(d, x []float32) {
	if mapSIMD(simd.VecExp, d, x, nil, 0) {
		return
	}
	x = x[:len(d)]
	for i, v := range x {
		d[i] = exp32(v)
	}
}

// sigmoidSlice sets d[i] = 1 / (1 + e^-x[i]) in float32.
func sigmoidSlice(d, x []float32) {
	if mapSIMD(simd.VecSigmoid, d, x, nil, 0) {
		return
	}
	x = x[:len(d)]
	for i, v := range x {
		d[i] = 1 / (1 + exp32(-v))
	}
}

// mapSIMD computes a vector operation with the SIMD kernel when the CPU
// has one (the same float32 approximations as the Go loops, up to the
// rounding of fused multiply-adds) and reports whether it did.
func mapSIMD(op simd.VecOp, d, a, b []float32, s float32) bool {
	tk := defaultTaps()
	if tk.Width == 1 {
		return false
	}
	tk.Map(op, d, a, b, s)
	return true
}
