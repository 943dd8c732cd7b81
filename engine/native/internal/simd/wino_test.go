package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestWinoTransform checks every transform of every tap kernel against the
// Go one on scattered offsets, with lane counts around the vector width
// (the masked tail) and values that must stay out of the lanes.
func TestWinoTransform(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, kind := range []WinoKind{WinoInput2, WinoInput4, WinoOutput2, WinoOutput4} {
		a, o := kind.Sizes()
		for _, n := range []int{1, 7, 15, 16, 17, 33, 64} {
			for _, k := range TapKernels() {
				t.Run(fmt.Sprintf("%d/n=%d/%s", kind, n, k.Name), func(t *testing.T) {
					const stride = 70
					src := make([]float32, a*a*stride+n)
					for i := range src {
						src[i] = r.Float32()*2 - 1
					}
					so := make([]int, a*a)
					for i, p := range r.Perm(a * a) {
						so[i] = p*stride + r.IntN(stride-n+1)%3
					}
					do := make([]int, o*o)
					for i, p := range r.Perm(o * o) {
						do[i] = p * stride
					}
					want := make([]float32, o*o*stride)
					got := make([]float32, len(want))
					for i := range want {
						want[i] = float32(i)
						got[i] = float32(i)
					}
					winoTransformGo(winoMatrices[kind], want, do, src, so, n)
					k.WinoTransform(kind, got, NewOffsets(do), src, NewOffsets(so), n)
					for i := range want {
						if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-5*(1+math.Abs(float64(want[i])))) {
							t.Fatalf("dst[%d] = %v, want %v", i, got[i], want[i])
						}
					}
				})
			}
		}
	}
}

// TestWinoTransformPanics checks that tables reaching past the slices
// panic.
func TestWinoTransformPanics(t *testing.T) {
	for _, k := range TapKernels() {
		src, dst := make([]float32, 40), make([]float32, 40)
		so, do := NewOffsets(make([]int, 16)), NewOffsets(make([]int, 16))
		for _, n := range []int{41, 30} {
			func() {
				defer func() {
					if recover() == nil && n > 40 {
						t.Errorf("%s: %d lanes of 40 values did not panic", k.Name, n)
					}
				}()
				k.WinoTransform(WinoInput2, dst, do, src, so, n)
			}()
		}
	}
}
