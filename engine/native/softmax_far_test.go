package native

import (
	"testing"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

func TestSoftmaxRowsFarValues(t *testing.T) {
	for _, tk := range simd.TapKernels() {
		for _, n := range []int{1, 5, 16, 33} {
			for _, v := range []float32{-1000, 1000, -3e38, 3e38} {
				src := make([]float32, 5*n)
				for i := range src {
					src[i] = v
				}
				dst := make([]float32, len(src))
				tk.SoftmaxRows(dst, src, n)
				for i, d := range dst {
					if d != 1/float32(n) && (d-1/float32(n) > 1e-6 || 1/float32(n)-d > 1e-6) {
						t.Fatalf("%s n=%d v=%g: [%d] = %v, want %v", tk.Name, n, v, i, d, 1/float32(n))
					}
				}
			}
		}
	}
}
