package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// scatterCase is a set of segments of TileScatter, for a kernel nr wide.
type scatterCase struct {
	name string
	segs func(nr int) []ScatterSeg
}

// mask is the bits [lo, hi).
func mask(lo, hi int) int { return (1<<hi - 1) &^ (1<<lo - 1) }

var scatterCases = []scatterCase{
	{"whole", func(nr int) []ScatterSeg { return []ScatterSeg{{Off: 3, Mask: mask(0, nr)}} }},
	{"garbage-column", func(nr int) []ScatterSeg {
		// Columns [0, nr/2) at 7, column nr/2 dropped, the rest at 60
		// from its first column (a negative base).
		return []ScatterSeg{{Off: 7, Mask: mask(0, nr/2)}, {Off: 60 - (nr/2 + 1), Mask: mask(nr/2+1, nr)}}
	}},
	{"three-runs", func(nr int) []ScatterSeg {
		a, b := nr/4, nr/2+1
		return []ScatterSeg{{Off: 90 - b, Mask: mask(b, nr-1)}, {Off: 0, Mask: mask(0, a)}, {Off: 40 - a, Mask: mask(a+1, b-1)}}
	}},
	{"empty-mask", func(nr int) []ScatterSeg { return []ScatterSeg{{Off: 0, Mask: 0}, {Off: 20 - 1, Mask: mask(1, 2)}} }},
}

// TestTileScatter checks TileScatter on every kernel (in assembly or
// through its buffer) against a float64 reference: the segments' columns
// hold the tile after the epilogue, every other value of C is untouched.
func TestTileScatter(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, k := range testedGemmKernels() {
		for _, sc := range scatterCases {
			for _, kc := range []int{0, 1, 5, 17, 144} {
				for _, flags := range []int{0, Accumulate, RowBias | Clamp, Scale | ColBias, Accumulate | RowBias | Clamp} {
					t.Run(fmt.Sprintf("%s/%s/kc=%d/flags=%05b", k.Name, sc.name, kc, flags), func(t *testing.T) {
						checkScatter(t, r, k, sc.segs(k.NR), kc, flags)
					})
				}
			}
		}
	}
}

func checkScatter(t *testing.T, r *rand.Rand, k *GemmKernel, segs []ScatterSeg, kc, flags int) {
	b := randSlice(r, 300)
	offs := make([]int, kc+2)
	for p := range offs {
		offs[p] = r.IntN(len(b) - k.NR)
	}
	ldc := 130
	a := randSlice(r, kc*k.MR)
	c := randSlice(r, k.MR*ldc)
	ep := &Epilogue{Flags: flags, Alpha: 1.5, Lo: -0.5, Hi: 0.6, Bias: randSlice(r, k.NR)}
	want := make([]float32, len(c))
	copy(want, c)
	for _, s := range segs {
		for i := range k.MR {
			for j := range k.NR {
				if s.Mask>>j&1 == 0 {
					continue
				}
				var sum float64
				for p := range kc {
					sum += float64(a[p*k.MR+i]) * float64(b[offs[1+p]+j])
				}
				at := s.Off + j + i*ldc
				want[at] = float32(reference(sum, float64(c[at]), i, j, ep))
			}
		}
	}
	k.TileScatter(kc, a, b, NewOffsets(offs), 1, c, ldc, segs, ep)
	for i := range c {
		if g, w := float64(c[i]), float64(want[i]); math.Abs(g-w) > 1e-5*float64(kc+1) {
			t.Fatalf("c[%d] = %v, want %v", i, g, w)
		}
	}
}

func TestTileScatterPanicsOutside(t *testing.T) {
	k := BestGemmKernel()
	for _, s := range []ScatterSeg{{Off: -1, Mask: 1}, {Off: 0, Mask: 1 << k.NR}, {Off: 8*k.MR - 1, Mask: 2}} {
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			o := NewOffsets(make([]int, 4))
			k.TileScatter(4, make([]float32, 4*k.MR), make([]float32, k.NR), o, 0, make([]float32, 8*k.MR), 8, []ScatterSeg{s}, &Epilogue{})
		})
	}
}
