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
