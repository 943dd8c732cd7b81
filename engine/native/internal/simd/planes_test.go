package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSumPlanes checks every tap kernel's SumPlanes against float64 sums:
// rows of every length around the vector widths, with and without bias
// and clamp, and that the gaps between the rows and planes are left as
// they were.
func TestSumPlanes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	shapes := []Planes{
		{Planes: 1, Rows: 1, Cols: 1, DstPlane: 1, DstRow: 1, SrcPlane: 3, SrcRow: 3},
		{Planes: 3, Rows: 7, Cols: 7, DstPlane: 49, DstRow: 7, SrcPlane: 72, SrcRow: 8},
		{Planes: 2, Rows: 3, Cols: 16, DstPlane: 60, DstRow: 19, SrcPlane: 90, SrcRow: 25},
		{Planes: 2, Rows: 2, Cols: 129, DstPlane: 300, DstRow: 140, SrcPlane: 400, SrcRow: 150},
		{Planes: 4, Rows: 5, Cols: 56, DstPlane: 290, DstRow: 57, SrcPlane: 342, SrcRow: 57},
		{Planes: 1, Rows: 4, Cols: 23, DstPlane: 0, DstRow: 23, SrcPlane: 0, SrcRow: 30},
	}
	for _, k := range TapKernels() {
		for _, g := range shapes {
			for _, variant := range []string{"bias+clamp", "plain"} {
				t.Run(fmt.Sprintf("%s/%dx%dx%d/%s", k.Name, g.Planes, g.Rows, g.Cols, variant), func(t *testing.T) {
					taps := 1 + r.IntN(9)
					offs := make([]int, taps)
					for i := range offs {
						offs[i] = r.IntN(2 * g.SrcRow)
					}
					src := randSlice(r, (g.Planes-1)*g.SrcPlane+(g.Rows-1)*g.SrcRow+g.Cols+2*g.SrcRow)
					w := randSlice(r, taps*g.Planes)
					var bias []float32
					clamp := variant != "plain"
					if clamp {
						bias = randSlice(r, g.Planes)
					}
					dst := make([]float32, (g.Planes-1)*g.DstPlane+(g.Rows-1)*g.DstRow+g.Cols+5)
					for i := range dst {
						dst[i] = -99
					}
					want := append([]float32(nil), dst...)
					for p := range g.Planes {
						for row := range g.Rows {
							for i := range g.Cols {
								s := 0.0
								if bias != nil {
									s = float64(bias[p])
								}
								for tp, o := range offs {
									s += float64(w[p*taps+tp]) * float64(src[p*g.SrcPlane+row*g.SrcRow+o+i])
								}
								if clamp {
									s = max(-0.5, min(0.5, s))
								}
								want[p*g.DstPlane+row*g.DstRow+i] = float32(s)
							}
						}
					}
					k.SumPlanes(dst, src, &g, offs, w, bias, clamp, -0.5, 0.5)
					for i := range dst {
						if math.Abs(float64(dst[i]-want[i])) > 1e-5 {
							t.Fatalf("dst[%d] = %v, want %v", i, dst[i], want[i])
						}
					}
				})
			}
		}
		t.Run(k.Name+"/out of range", func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("a tap past the input did not panic")
				}
			}()
			g := Planes{Planes: 2, Rows: 2, Cols: 8, DstPlane: 16, DstRow: 8, SrcPlane: 16, SrcRow: 8}
			k.SumPlanes(make([]float32, 32), make([]float32, 33), &g, []int{0, 2}, make([]float32, 4), nil, false, 0, 0)
		})
	}
}
