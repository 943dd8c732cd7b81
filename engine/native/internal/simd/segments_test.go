package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestTileSegments checks TileSegments on every kernel whose NR is a
// multiple of SegWidth (in assembly or through the gathered panel) against
// a float64 reference, over depths around the unrolling, segments in and
// out of order and overlapping, and every epilogue flag.
func TestTileSegments(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, k := range testedGemmKernels() {
		if k.NR%SegWidth != 0 {
			continue
		}
		groups := k.NR / SegWidth
		for _, kc := range []int{0, 1, 3, 4, 5, 9, 17, 144} {
			for _, flags := range []int{0, Accumulate, RowBias | Clamp, Scale | ColBias, Accumulate | RowBias | Clamp} {
				t.Run(fmt.Sprintf("%s/kc=%d/flags=%05b", k.Name, kc, flags), func(t *testing.T) {
					segs, b, o, offs := randSegments(r, groups, kc)
					ldc := k.NR + 5
					a := randSlice(r, kc*k.MR)
					c := randSlice(r, k.MR*ldc)
					ep := &Epilogue{Flags: flags, Alpha: 1.5, Lo: -0.5, Hi: 0.6, Bias: randSlice(r, k.NR)}
					want := make([]float32, len(c))
					copy(want, c)
					for i := range k.MR {
						for j := range k.NR {
							var s float64
							for p := range kc {
								s += float64(a[p*k.MR+i]) * float64(b[offs[1+p]+segs[j/SegWidth]+j%SegWidth])
							}
							want[i*ldc+j] = float32(reference(s, float64(c[i*ldc+j]), i, j, ep))
						}
					}
					k.TileSegments(kc, a, b, o, 1, segs, c, ldc, ep)
					for i := range c {
						if g, w := float64(c[i]), float64(want[i]); math.Abs(g-w) > 1e-5*float64(kc+1) {
							t.Fatalf("c[%d] = %v, want %v", i, g, w)
						}
					}
				})
			}
		}
	}
}

func TestTileSegmentsPanicsOutOfRange(t *testing.T) {
	for _, k := range testedGemmKernels() {
		if k.NR%SegWidth != 0 {
			continue
		}
		t.Run(k.Name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			segs := make([]int, k.NR/SegWidth)
			segs[len(segs)-1] = 100 // past the end of b
			k.TileSegments(1, make([]float32, k.MR), make([]float32, 64), NewOffsets([]int{0}), 0, segs, make([]float32, k.MR*k.NR), k.NR, &Epilogue{})
		})
	}
}

// TestSegmentsFit checks each of TileSegments' argument checks at its
// bound, on a 2×16 kernel (two segments) with offsets 4 and 10.
func TestSegmentsFit(t *testing.T) {
	k := &GemmKernel{Name: "test", MR: 2, NR: 16}
	o := NewOffsets([]int{4, 10, 7})
	type args struct {
		kc, p0, la, lb, lc, ldc int
		segs                    []int
	}
	ok := args{kc: 2, p0: 0, la: 4, lb: 10 + 30 + SegWidth, lc: 16 + 16, ldc: 16, segs: []int{0, 30}}
	tests := []struct {
		name string
		f    func(a *args)
		want bool
	}{
		{"fits", func(*args) {}, true},
		{"no depth, any b", func(a *args) { a.kc, a.lb = 0, 0 }, true},
		{"one segment for two", func(a *args) { a.segs = []int{0} }, false},
		{"negative depth", func(a *args) { a.kc = -1 }, false},
		{"negative first offset", func(a *args) { a.p0 = -1 }, false},
		{"offsets past the table", func(a *args) { a.p0 = 2 }, false},
		{"last offset of the table", func(a *args) { a.p0, a.kc = 1, 2 }, true},
		{"a short", func(a *args) { a.la = 3 }, false},
		{"ldc below NR", func(a *args) { a.ldc = 15 }, false},
		{"c short", func(a *args) { a.lc = 31 }, false},
		{"b one short", func(a *args) { a.lb-- }, false},
		{"segment before b", func(a *args) { a.segs = []int{-5, 30} }, false},
		{"segment reaching offset 0", func(a *args) { a.segs = []int{-4, 30} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ok
			tt.f(&a)
			got := k.segmentsFit(a.kc, make([]float32, a.la), make([]float32, a.lb), o, a.p0, a.segs, make([]float32, a.lc), a.ldc)
			if got != tt.want {
				t.Errorf("segmentsFit(%+v) = %v, want %v", a, got, tt.want)
			}
		})
	}
	if (&GemmKernel{MR: 2, NR: 12}).segmentsFit(0, nil, nil, o, 0, []int{0}, make([]float32, 24), 12) {
		t.Error("an NR that is not a multiple of SegWidth fits")
	}
}

// TestTileSegmentsPanels checks that a call over several row panels
// computes, bit for bit, what TileSegments (and TileIndirect) computes
// panel by panel, for
// every epilogue (column biases run panel by panel) and depths around the
// unrolling, and that a short bias panics.
func TestTileSegmentsPanels(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, k := range testedGemmKernels() {
		if k.NR%SegWidth != 0 {
			continue
		}
		for _, panels := range []int{1, 2, 4} {
			for _, kc := range []int{1, 5, 9, 144} {
				for _, flags := range []int{0, Accumulate, RowBias | Clamp, Scale | ColBias, Accumulate | RowBias | Clamp} {
					t.Run(fmt.Sprintf("%s/panels=%d/kc=%d/flags=%05b", k.Name, panels, kc, flags), func(t *testing.T) {
						segs, b, o, _ := randSegments(r, k.NR/SegWidth, kc)
						ldc := k.NR + 3
						rows := panels * k.MR
						a := randSlice(r, kc*rows)
						c := randSlice(r, rows*ldc)
						want := append([]float32(nil), c...)
						ep := &Epilogue{Flags: flags, Alpha: 1.5, Lo: -0.5, Hi: 0.6, Bias: randSlice(r, max(rows, k.NR))}
						for i := range panels {
							pe := *ep
							if flags&RowBias != 0 {
								pe.Bias = ep.Bias[i*k.MR:]
							}
							k.TileSegments(kc, a[i*kc*k.MR:], b, o, 1, segs, want[i*k.MR*ldc:], ldc, &pe)
						}
						c0 := append([]float32(nil), c...)
						k.TileSegmentsPanels(kc, a, b, o, 1, segs, c, ldc, ep, panels)
						for i := range c {
							if c[i] != want[i] {
								t.Fatalf("c[%d] = %v, want %v", i, c[i], want[i])
							}
						}
						// The indirect kernel on the same offsets.
						copy(want, c0)
						for i := range panels {
							pe := *ep
							if flags&RowBias != 0 {
								pe.Bias = ep.Bias[i*k.MR:]
							}
							k.TileIndirect(kc, a[i*kc*k.MR:], b, o, 1, want[i*k.MR*ldc:], ldc, &pe)
						}
						k.TileIndirectPanels(kc, a, b, o, 1, c0, ldc, ep, panels)
						for i := range c0 {
							if c0[i] != want[i] {
								t.Fatalf("indirect: c[%d] = %v, want %v", i, c0[i], want[i])
							}
						}
					})
				}
			}
		}
		t.Run(k.Name+"/short bias", func(t *testing.T) {
			defer func() {
				if recover() == nil && k.HasSegments() {
					t.Fatal("no panic")
				}
			}()
			segs := make([]int, k.NR/SegWidth)
			ep := &Epilogue{Flags: RowBias, Bias: make([]float32, k.MR+1)}
			k.TileSegmentsPanels(1, make([]float32, 2*k.MR), make([]float32, 64), NewOffsets([]int{0}), 0, segs, make([]float32, 2*k.MR*k.NR), k.NR, ep, 2)
		})
	}
}

// randSegments returns random operands of a segmented tile: groups
// segment offsets below 40, a B of 400 values and kc+2 offsets into it
// that leave every segment inside.
func randSegments(r *rand.Rand, groups, kc int) (segs []int, b []float32, o *Offsets, offs []int) {
	segs = make([]int, groups)
	for g := range segs {
		segs[g] = r.IntN(40)
	}
	b = randSlice(r, 400)
	offs = make([]int, kc+2)
	for p := range offs {
		offs[p] = r.IntN(len(b) - 40 - SegWidth)
	}
	return segs, b, NewOffsets(offs), offs
}
