package native

import (
	"math"
	"testing"
)

// TestExp32 checks the float32 exponential and sigmoid against math.Exp
// over their whole range (relative error), with the limits and NaN.
func TestExp32(t *testing.T) {
	for i := -100000; i <= 100000; i++ {
		v := float32(i) * 9e-4
		want := math.Exp(float64(v))
		got := float64(exp32(v))
		if want < 1.2e-38 || want > 3.4e38 {
			continue
		}
		if math.Abs(got-want) > 3e-7*want {
			t.Fatalf("exp(%v) = %v, want %v", v, got, want)
		}
		s := make([]float32, 1)
		sigmoidSlice(s, []float32{v})
		if w := 1 / (1 + math.Exp(-float64(v))); math.Abs(float64(s[0])-w) > 3e-7*w {
			t.Fatalf("sigmoid(%v) = %v, want %v", v, s[0], w)
		}
	}
	if exp32(-100) != 0 || !math.IsInf(float64(exp32(100)), 1) || exp32(float32(math.NaN())) == exp32(float32(math.NaN())) {
		t.Fatalf("limits: %v %v %v", exp32(-100), exp32(100), exp32(float32(math.NaN())))
	}
}
