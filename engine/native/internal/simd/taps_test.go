package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTileIndirect checks the indirect tiles against the packed ones on
// the gathered panel.
func TestTileIndirect(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, k := range testedGemmKernels() {
		for _, kc := range []int{0, 1, 5, 9, 64, 256} {
			t.Run(fmt.Sprintf("%s/kc=%d", k.Name, kc), func(t *testing.T) {
				b := randSlice(r, 500)
				offs := make([]int, kc+3)
				for p := range offs {
					offs[p] = r.IntN(len(b) - k.NR + 1)
				}
				o := NewOffsets(offs)
				a := randSlice(r, kc*k.MR)
				panel := make([]float32, kc*k.NR)
				for p := range kc {
					copy(panel[p*k.NR:(p+1)*k.NR], b[offs[2+p]:])
				}
				ep := &Epilogue{Flags: RowBias | Clamp, Bias: randSlice(r, k.MR), Lo: -1, Hi: 1}
				want := make([]float32, k.MR*k.NR)
				got := make([]float32, k.MR*k.NR)
				k.Tile(kc, a, panel, want, k.NR, ep)
				k.TileIndirect(kc, a, b, o, 2, got, k.NR, ep)
				if !slices.Equal(got, want) {
					t.Fatalf("got %v\nwant %v", got, want)
				}
				// The prefetching kernel computes the same.
				pf := *ep
				pf.Flags |= Prefetch
				clear(got)
				k.TileIndirect(kc, a, b, o, 2, got, k.NR, &pf)
				if !slices.Equal(got, want) {
					t.Fatalf("with prefetch: got %v\nwant %v", got, want)
				}
			})
		}
		t.Run(k.Name+"/out of range", func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			o := NewOffsets([]int{0, 100 - k.NR + 1})
			k.TileIndirect(2, make([]float32, 2*k.MR), make([]float32, 100), o, 0, make([]float32, k.MR*k.NR), k.NR, &Epilogue{})
		})
	}
}

func TestTapKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, k := range TapKernels() {
		for _, n := range []int{0, 1, 7, 15, 16, 17, 48, 63, 64, 80, 93, 208} {
			for _, taps := range []int{1, 2, 9, 25} {
				t.Run(fmt.Sprintf("%s/n=%d/taps=%d", k.Name, n, taps), func(t *testing.T) {
					src := randSlice(r, n+300)
					src[7] = float32(math.NaN())
					offs := make([]int, taps)
					for i := range offs {
						offs[i] = r.IntN(301)
					}
					w := randSlice(r, taps)
					for _, clamp := range []bool{false, true} {
						got := make([]float32, n)
						k.Sum(got, src, offs, w, 0.25, clamp, -0.5, 0.5)
						for i := range got {
							want := 0.25
							for t, o := range offs {
								want += float64(w[t]) * float64(src[o+i])
							}
							if clamp && !math.IsNaN(want) {
								want = max(-0.5, min(0.5, want))
							}
							if g := float64(got[i]); math.IsNaN(g) != math.IsNaN(want) || math.Abs(g-want) > 1e-5 {
								t.Fatalf("sum clamp=%v: dst[%d] = %v, want %v", clamp, i, g, want)
							}
						}
					}
					got := make([]float32, n)
					k.Max(got, src, offs)
					for i := range got {
						want := src[offs[0]+i]
						for _, o := range offs[1:] {
							if v := src[o+i]; v > want {
								want = v
							}
						}
						if g := got[i]; g != want && !(math.IsNaN(float64(g)) && math.IsNaN(float64(want))) {
							t.Fatalf("max: dst[%d] = %v, want %v", i, g, want)
						}
					}
				})
			}
		}
		for _, n := range []int{0, 5, 16, 37, 64} {
			t.Run(fmt.Sprintf("%s/deinterleave/n=%d", k.Name, n), func(t *testing.T) {
				src := randSlice(r, 2*n+1)
				even, odd := make([]float32, n), make([]float32, n)
				k.Deinterleave2(even, odd, src)
				for i := range n {
					if even[i] != src[2*i] || odd[i] != src[2*i+1] {
						t.Fatalf("element %d: %v %v from %v %v", i, even[i], odd[i], src[2*i], src[2*i+1])
					}
				}
			})
		}
	}
}

func TestTapKernelsCheckBounds(t *testing.T) {
	for _, k := range TapKernels() {
		t.Run(k.Name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			k.Max(make([]float32, 16), make([]float32, 20), []int{0, 5})
		})
	}
}

func TestCopy2D(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, k := range TapKernels() {
		for _, sz := range [][2]int{{0, 5}, {1, 1}, {3, 7}, {4, 8}, {2, 16}, {5, 17}, {3, 64}, {2, 100}} {
			rows, cols := sz[0], sz[1]
			t.Run(fmt.Sprintf("%s/%dx%d", k.Name, rows, cols), func(t *testing.T) {
				ldd, lds := cols+3, cols+5
				src := randSlice(r, rows*lds)
				dst := randSlice(r, rows*ldd+2)
				want := slices.Clone(dst)
				for i := range rows {
					copy(want[i*ldd:i*ldd+cols], src[i*lds:])
				}
				k.Copy2D(dst, ldd, src, lds, rows, cols)
				if !slices.Equal(dst, want) {
					t.Fatalf("got %v\nwant %v", dst, want)
				}
			})
		}
	}
}

func TestCopy3D(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, k := range TapKernels() {
		for _, sz := range [][3]int{{0, 2, 5}, {2, 0, 5}, {1, 1, 1}, {3, 3, 7}, {4, 8, 8}, {2, 5, 17}, {3, 2, 64}, {5, 3, 100}} {
			planes, rows, cols := sz[0], sz[1], sz[2]
			t.Run(fmt.Sprintf("%s/%dx%dx%d", k.Name, planes, rows, cols), func(t *testing.T) {
				ldd, lds := cols+1, cols+4
				ldp, lsp := rows*ldd+3, rows*lds+2
				src := randSlice(r, planes*lsp)
				dst := randSlice(r, planes*ldp+2)
				want := slices.Clone(dst)
				for p := range planes {
					for i := range rows {
						copy(want[p*ldp+i*ldd:p*ldp+i*ldd+cols], src[p*lsp+i*lds:])
					}
				}
				k.Copy3D(dst, ldd, ldp, src, lds, lsp, planes, rows, cols)
				if !slices.Equal(dst, want) {
					t.Fatalf("got %v\nwant %v", dst, want)
				}
			})
		}
	}
}

func BenchmarkTapSum(b *testing.B) {
	for _, k := range TapKernels() {
		for _, n := range []int{1024, 12656} {
			b.Run(fmt.Sprintf("%s/n=%d", k.Name, n), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				w := 114
				src := randSlice(r, n+3*w)
				dst := make([]float32, n)
				offs := []int{0, 1, 2, w, w + 1, w + 2, 2 * w, 2*w + 1, 2*w + 2}
				wt := randSlice(r, 9)
				for b.Loop() {
					k.Sum(dst, src, offs, wt, 0, true, 0, 6)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/output")
			})
		}
	}
}

func TestDeinterleave2D(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, k := range TapKernels() {
		for _, sz := range [][2]int{{1, 1}, {3, 5}, {2, 16}, {4, 17}, {2, 31}, {3, 56}} {
			rows, n := sz[0], sz[1]
			t.Run(fmt.Sprintf("%s/%dx%d", k.Name, rows, n), func(t *testing.T) {
				lde, ldo, lds := n+2, n+5, 2*n+3
				src := randSlice(r, (rows-1)*lds+2*n)
				even, odd := randSlice(r, rows*lde), randSlice(r, rows*ldo)
				we, wo := slices.Clone(even), slices.Clone(odd)
				for y := range rows {
					for i := range n {
						we[y*lde+i], wo[y*ldo+i] = src[y*lds+2*i], src[y*lds+2*i+1]
					}
				}
				k.Deinterleave2D(even, lde, odd, ldo, src, lds, rows, n)
				if !slices.Equal(even, we) || !slices.Equal(odd, wo) {
					t.Fatalf("got %v %v\nwant %v %v", even, odd, we, wo)
				}
			})
		}
	}
}
