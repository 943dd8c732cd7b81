package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPool2x2 checks every tap kernel's 2×2 pooling against the
// definition, for row widths the assembly takes and others, a number of
// row pairs that leaves the block kernel a remainder, NaNs at each tap and
// an input longer than needed.
func TestMaxPool2x2(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	nan := float32(math.NaN())
	for _, k := range TapKernels() {
		for _, w := range []int{2, 4, 6, 8, 10, 16, 32, 48, 64} {
			for _, pairs := range []int{1, 3, 8, 37} {
				t.Run(fmt.Sprintf("%s/w=%d/pairs=%d", k.Name, w, pairs), func(t *testing.T) {
					x := randSlice(r, 2*w*pairs+5)
					for i := 0; i < len(x)-5; i += 7 {
						x[i] = nan
					}
					y := make([]float32, pairs*w/2)
					k.MaxPool2x2(y, x, w)
					for p := range pairs {
						for j := range w / 2 {
							top, bot := x[2*p*w:], x[(2*p+1)*w:]
							want := top[2*j]
							for _, v := range []float32{top[2*j+1], bot[2*j], bot[2*j+1]} {
								if v > want {
									want = v
								}
							}
							got := y[p*w/2+j]
							if got != want && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
								t.Fatalf("pair %d output %d: got %v, want %v", p, j, got, want)
							}
						}
					}
				})
			}
		}
	}
}

// TestMaxPool2x2Panics checks that arguments that do not fit panic.
func TestMaxPool2x2Panics(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ny, nx, w int
	}{
		{"odd row", 3, 12, 3},
		{"short input", 4, 15, 4},
		{"partial row", 3, 12, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			TapKernels()[0].MaxPool2x2(make([]float32, tc.ny), make([]float32, tc.nx), tc.w)
		})
	}
}

// BenchmarkMaxPool2x2 pools 1024 planes of 8×8 (the digits CNN's batch
// of 32) with MaxPool2x2 and with what it replaces, Deinterleave2D twice
// and Max.
func BenchmarkMaxPool2x2(b *testing.B) {
	const planes, h, w = 1024, 8, 8
	k := TapKernels()[0]
	x := randSlice(rand.New(rand.NewPCG(1, 2)), planes*h*w)
	y := make([]float32, planes*h*w/4)
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			k.MaxPool2x2(y, x, w)
		}
	})
	b.Run("deinterleave", func(b *testing.B) {
		n := len(y)
		taps := make([]float32, 4*n)
		offs := []int{0, n, 2 * n, 3 * n}
		for b.Loop() {
			k.Deinterleave2D(taps, w/2, taps[n:], w/2, x, 2*w, planes*h/2, w/2)
			k.Deinterleave2D(taps[2*n:], w/2, taps[3*n:], w/2, x[w:], 2*w, planes*h/2, w/2)
			k.Max(y, taps, offs)
		}
	})
}
