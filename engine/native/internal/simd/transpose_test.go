package simd

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestTranspose8 checks the transpose against its definition for depths
// around the 8-column blocks and every row count, with src cut at the
// last value read and every other value of dst kept.
func TestTranspose8(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, k := range []int{0, 1, 3, 7, 8, 9, 12, 16, 21} {
		for _, ldd := range []int{8, 16} {
			for n := 1; n <= 8; n++ {
				t.Run(fmt.Sprintf("k=%d/ldd=%d/n=%d", k, ldd, n), func(t *testing.T) {
					lds := k + 5
					src := randSlice(r, max(0, (n-1)*lds+k))
					dst := randSlice(r, max(0, (k-1)*ldd+8))
					want := append([]float32(nil), dst...)
					for p := range k {
						for row := range 8 {
							want[p*ldd+row] = 0
							if row < n {
								want[p*ldd+row] = src[row*lds+p]
							}
						}
					}
					Transpose8(dst, ldd, src, lds, k, n)
					for i := range dst {
						if dst[i] != want[i] {
							t.Fatalf("dst[%d] = %v, want %v", i, dst[i], want[i])
						}
					}
				})
			}
		}
	}
}
