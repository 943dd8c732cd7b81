package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMap checks every kernel's operations against float64 math over
// lengths that exercise the blocks, the single vectors and the masked
// tail, with the special values (NaN, ±Inf, ±0, the ends of the exp range).
func TestMap(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)),
		88.72, 88.73, 89, 100, -87.3, -87.34, -87.5, -88, -104, -200, 4, -4, 4.5, 7.9, -8, 20, 1e-6, -3e-5}
	ops := []VecOp{VecAdd, VecSub, VecMul, VecDiv, VecExp, VecErf, VecTanh, VecSigmoid, VecSiLU}
	for _, k := range TapKernels() {
		for _, op := range ops {
			for _, n := range []int{0, 1, 5, 8, 15, 16, 17, 31, 64, 65, 100, 333} {
				t.Run(fmt.Sprintf("%s/op%d/n=%d", k.Name, op, n), func(t *testing.T) {
					a, b := make([]float32, n+3), make([]float32, n+3)
					for i := range a {
						a[i] = float32(r.NormFloat64() * 6)
						b[i] = float32(r.NormFloat64() * 3)
						if i < len(special) && i < n {
							a[i] = special[i]
						}
					}
					s := float32(0)
					if op == VecExp {
						s = -0.25
					}
					dst := make([]float32, n+3)
					dst[n] = 42
					k.Map(op, dst[:n], a, b, s)
					if dst[n] != 42 {
						t.Fatalf("wrote past the end: %v", dst[n])
					}
					want := make([]float32, n)
					mapGo(op, want, a, b, s)
					for i := range want {
						if !vecClose(op, dst[i], want[i], a[i]+s) {
							t.Fatalf("%d: op %d of %v (%v): got %v, want %v", i, op, a[i], b[i], dst[i], want[i])
						}
					}
				})
			}
		}
	}
}

// vecClose reports whether got is within the kernels' approximation of
// want: exact for arithmetic, a few ulps (relative 2e-6, or 1e-6
// absolute near 0), and 0 accepted below the normal range of exp.
func vecClose(op VecOp, got, want, x float32) bool {
	if want != want {
		return got != got
	}
	if op < VecExp {
		return got == want
	}
	if op == VecExp && x < -87.33 && got == 0 {
		return true
	}
	if math.IsInf(float64(want), 0) || math.IsInf(float64(got), 0) {
		return got == want
	}
	d := math.Abs(float64(got) - float64(want))
	return d <= 2e-6*math.Abs(float64(want)) || d <= 1e-6 && op != VecExp
}

func BenchmarkMap(b *testing.B) {
	k := TapKernels()[0]
	a, c := randSlice(rand.New(rand.NewPCG(1, 2)), 4096), make([]float32, 4096)
	for _, op := range []VecOp{VecAdd, VecExp, VecErf, VecTanh, VecSigmoid, VecSiLU} {
		b.Run(fmt.Sprintf("%s/op%d", k.Name, op), func(b *testing.B) {
			b.SetBytes(4 * 4096)
			for b.Loop() {
				k.Map(op, c, a, a, 0)
			}
		})
	}
}
