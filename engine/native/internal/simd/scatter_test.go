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
// of y hold the tile after the epilogue (C added when it accumulates),
// every other value of y is untouched.
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
	ldy, ldc := 130, k.NR+3
	a := randSlice(r, kc*k.MR)
	c, y := randSlice(r, k.MR*ldc), randSlice(r, k.MR*ldy)
	ep := &Epilogue{Flags: flags, Alpha: 1.5, Lo: -0.5, Hi: 0.6, Bias: randSlice(r, k.NR)}
	want := make([]float32, len(y))
	copy(want, y)
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
				want[s.Off+j+i*ldy] = float32(reference(sum, float64(c[i*ldc+j]), i, j, ep))
			}
		}
	}
	k.TileScatter(kc, a, b, NewOffsets(offs), 1, c, ldc, y, ldy, segs, ep)
	for i := range y {
		if g, w := float64(y[i]), float64(want[i]); math.Abs(g-w) > 1e-5*float64(kc+1) {
			t.Fatalf("y[%d] = %v, want %v", i, g, w)
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
			k.TileScatter(4, make([]float32, 4*k.MR), make([]float32, k.NR), o, 0, nil, 0, make([]float32, 8*k.MR), 8, []ScatterSeg{s}, &Epilogue{})
		})
	}
}

// BenchmarkTileScatter compares the scattered store of a tile (one
// segment, two with a dropped column, five as on 7-wide rows) with the
// plain indirect tile, at depth 64 (a short block, where stores weigh
// most).
func BenchmarkTileScatter(b *testing.B) {
	k := BestGemmKernel()
	if !k.HasScatter() {
		b.Skip("no scatter kernel")
	}
	const kc, ldy = 64, 3136
	r := rand.New(rand.NewPCG(1, 2))
	a, bp := randSlice(r, kc*k.MR), randSlice(r, 64*k.NR)
	offs := make([]int, kc)
	for p := range offs {
		offs[p] = p % 32 * k.NR
	}
	o := NewOffsets(offs)
	y := make([]float32, k.MR*ldy)
	c := make([]float32, k.MR*k.NR)
	ep := &Epilogue{Flags: Accumulate}
	segs := map[string][]ScatterSeg{
		"one":  {{Off: 0, Mask: mask(0, 32)}},
		"two":  {{Off: 0, Mask: mask(0, 16)}, {Off: 16, Mask: mask(17, 32)}},
		"five": {{0, mask(0, 7)}, {1, mask(8, 15)}, {2, mask(16, 23)}, {3, mask(24, 31)}, {4, mask(31, 32)}},
	}
	for _, name := range []string{"one", "two", "five"} {
		b.Run("scatter/"+name, func(b *testing.B) {
			for b.Loop() {
				k.TileScatter(kc, a, bp, o, 0, c, k.NR, y, ldy, segs[name], ep)
			}
		})
	}
	b.Run("indirect", func(b *testing.B) {
		for b.Loop() {
			k.TileIndirect(kc, a, bp, o, 0, y, ldy, ep)
		}
	})
}
