package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmTrans checks every transposed kernel (GemmKernel.Trans) over
// depths around the unrolling and every epilogue flag it takes: bit for
// bit against its kernel's Tile on the same operands packed, with the
// tile transposed, and against a float64 reference. A is read through
// offsets of rows lda apart and C has a leading dimension wider than the
// tile, whose extra elements stay as they were.
func TestGemmTrans(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, k := range GemmKernels() {
		tk := k.Trans
		if tk == nil {
			continue
		}
		for _, kc := range []int{0, 1, 3, 4, 5, 8, 17, 256, 300} {
			for flags := range Clamp << 1 {
				if flags&RowBias != 0 {
					continue
				}
				t.Run(fmt.Sprintf("%s/kc=%d/flags=%05b", tk.Name, kc, flags), func(t *testing.T) {
					mr, nr, lda, ldc := tk.MR, tk.NR, tk.MR+5, tk.MR+3
					a, b := randSlice(r, kc*lda+mr), randSlice(r, kc*tk.NR)
					// Step p reads offs[1+p]; the table is read from 1 on.
					offs := make([]int, kc+2)
					for p := range offs {
						offs[p] = max(0, p-1) * lda
					}
					c := randSlice(r, nr*ldc)
					c[ldc] = float32(math.NaN()) // element (0, 1): propagates when accumulated
					ep := &Epilogue{Flags: flags, Alpha: 0.75, Lo: -0.5, Hi: 0.6}
					if flags&ColBias != 0 {
						ep.Bias = randSlice(r, nr)
					}
					// The same product through Tile: A packed, C row-major.
					packed := make([]float32, kc*mr)
					for p := range kc {
						copy(packed[p*mr:(p+1)*mr], a[offs[1+p]:])
					}
					tile := make([]float32, mr*nr)
					for i := range mr {
						for j := range nr {
							tile[i*nr+j] = c[j*ldc+i]
						}
					}
					want := make([]float32, len(c))
					copy(want, c)
					ref := make([]float32, len(c))
					copy(ref, c)
					for i := range mr {
						for j := range nr {
							var s float64
							for p := range kc {
								s += float64(a[offs[1+p]+i]) * float64(b[p*nr+j])
							}
							ref[j*ldc+i] = float32(reference(s, float64(c[j*ldc+i]), i, j, ep))
						}
					}
					k.Tile(kc, packed, b, tile, nr, ep)
					for i := range mr {
						for j := range nr {
							want[j*ldc+i] = tile[i*nr+j]
						}
					}
					tk.TileTrans(kc, a, NewOffsets(offs), 1, b[:kc*nr], c, ldc, ep)
					for i := range c {
						g, w := c[i], want[i]
						if math.Float32bits(g) != math.Float32bits(w) && !(math.IsNaN(float64(g)) && math.IsNaN(float64(w))) {
							t.Fatalf("c[%d] (row %d, column %d) = %v, want %v as Tile computes it", i, i%ldc, i/ldc, g, w)
						}
						if d := math.Abs(float64(g) - float64(ref[i])); math.IsNaN(float64(g)) != math.IsNaN(float64(ref[i])) || d > 1e-5*float64(kc+1) {
							t.Fatalf("c[%d] = %v, want %v", i, g, ref[i])
						}
					}
				})
			}
		}
	}
}
