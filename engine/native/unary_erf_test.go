package native

import (
	"math"
	"testing"
)

// TestErf32 checks the float32 error function against math.Erf over
// [-8, 8], and that NaN stays NaN.
func TestErf32(t *testing.T) {
	x := make([]float32, 0, 160001)
	for i := -80000; i <= 80000; i++ {
		x = append(x, float32(i)*1e-4)
	}
	d := make([]float32, len(x))
	erfSlice(d, x)
	for i, v := range x {
		want := math.Erf(float64(v))
		if diff := math.Abs(float64(d[i]) - want); diff > 1e-6 {
			t.Fatalf("erf(%v) = %v, want %v", v, d[i], want)
		}
	}
	nan := []float32{float32(math.NaN())}
	erfSlice(nan, nan)
	if nan[0] == nan[0] {
		t.Fatalf("erf(NaN) = %v", nan[0])
	}
}

// TestTanh32 checks the float32 hyperbolic tangent, the SIMD kernel and
// the Go loop, against math.Tanh over [-10, 10], and that NaN stays NaN.
func TestTanh32(t *testing.T) {
	x := make([]float32, 0, 200001)
	for i := -100000; i <= 100000; i++ {
		x = append(x, float32(i)*1e-4)
	}
	d := make([]float32, len(x))
	tanhSlice(d, x)
	for i, v := range x {
		want := math.Tanh(float64(v))
		for _, got := range []float32{d[i], tanh32(v)} {
			if diff := math.Abs(float64(got) - want); diff > 1e-6 {
				t.Fatalf("tanh(%v) = %v, want %v", v, got, want)
			}
		}
	}
	nan := []float32{float32(math.NaN())}
	tanhSlice(nan, nan)
	if nan[0] == nan[0] || tanh32(nan[0]) == tanh32(nan[0]) {
		t.Fatalf("tanh(NaN) = %v", nan[0])
	}
}
