package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// dwReference is the naive depthwise 3×3 convolution with one value of
// padding on every side, in float64, with stride s: plane p of src is h×w
// and of the result oh×ow.
func dwReference(src []float32, planes, h, w, s int, wt, bias []float32, clamp bool, lo, hi float32) []float32 {
	oh, ow := (h-1)/s+1, (w-1)/s+1
	out := make([]float32, planes*oh*ow)
	for p := range planes {
		for oy := range oh {
			for ox := range ow {
				var acc float64
				if bias != nil {
					acc = float64(bias[p])
				}
				for i := range 3 {
					for j := range 3 {
						iy, ix := oy*s+i-1, ox*s+j-1
						if iy >= 0 && iy < h && ix >= 0 && ix < w {
							acc += float64(wt[9*p+3*i+j]) * float64(src[(p*h+iy)*w+ix])
						}
					}
				}
				v := float32(acc)
				if clamp {
					v = min(max(v, lo), hi)
				}
				out[(p*oh+oy)*ow+ox] = v
			}
		}
	}
	return out
}

// TestDepthwiseConv3x3 checks every depthwise kernel against the naive
// reference over plane shapes around the vector width (odd, one wider and
// narrower than 16, several vectors), with and without bias and clamp,
// and that it writes nothing past its outputs.
func TestDepthwiseConv3x3(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	shapes := [][2]int{{1, 1}, {1, 5}, {2, 2}, {3, 7}, {7, 7}, {5, 15}, {4, 16}, {6, 17}, {14, 14}, {9, 31}, {2, 32}, {3, 33}, {28, 28}, {11, 56}, {3, 112}}
	for _, k := range DepthwiseKernels() {
		for _, sh := range shapes {
			for _, c := range []struct{ planes, stride int }{{1, 1}, {3, 1}, {1, 2}, {3, 2}} {
				planes, stride := c.planes, c.stride
				for _, opt := range []struct{ bias, clamp bool }{{false, false}, {true, true}, {true, false}} {
					h, w := sh[0], sh[1]
					name := fmt.Sprintf("%s/s%d/%dx%dx%d/bias=%v/clamp=%v", k.Name, stride, planes, h, w, opt.bias, opt.clamp)
					t.Run(name, func(t *testing.T) {
						oh, ow := (h-1)/stride+1, (w-1)/stride+1
						n := planes * oh * ow
						src, wt := randSlice(r, planes*h*w), randSlice(r, 9*planes)
						var bias []float32
						if opt.bias {
							bias = randSlice(r, planes)
						}
						const guard = 17
						dst := make([]float32, n+guard)
						for i := range dst {
							dst[i] = 99
						}
						k.Conv3x3(dst, src, make([]float32, w), stride, planes, h, w, wt, bias, opt.clamp, -0.5, 0.5)
						want := dwReference(src, planes, h, w, stride, wt, bias, opt.clamp, -0.5, 0.5)
						for i, v := range want {
							if math.Abs(float64(dst[i]-v)) > 1e-5 {
								t.Fatalf("output %d (plane %d, row %d, column %d): got %v, want %v", i, i/(oh*ow), i%(oh*ow)/ow, i%ow, dst[i], v)
							}
						}
						for i := n; i < len(dst); i++ {
							if dst[i] != 99 {
								t.Fatalf("wrote %v at %d, past the %d outputs", dst[i], i, n)
							}
						}
					})
				}
			}
		}
	}
}

// TestDepthwiseNaN checks that a NaN input stays NaN through the clamp.
func TestDepthwiseNaN(t *testing.T) {
	for _, k := range DepthwiseKernels() {
		src := make([]float32, 9)
		src[4] = float32(math.NaN())
		dst := make([]float32, 9)
		wt := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
		k.Conv3x3(dst, src, make([]float32, 3), 1, 1, 3, 3, wt, nil, true, 0, 6)
		for i, v := range dst {
			if !math.IsNaN(float64(v)) {
				t.Errorf("%s: stride 1: output %d is %v, want NaN", k.Name, i, v)
			}
		}
		k.Conv3x3(dst, src, make([]float32, 3), 2, 1, 3, 3, wt, nil, true, 0, 6)
		for i, v := range dst[:4] {
			if !math.IsNaN(float64(v)) {
				t.Errorf("%s: stride 2: output %d is %v, want NaN", k.Name, i, v)
			}
		}
	}
}

// TestDepthwiseShort checks that too short a slice panics rather than
// reaching the assembly.
func TestDepthwiseShort(t *testing.T) {
	for _, k := range DepthwiseKernels() {
		t.Run(k.Name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			k.Conv3x3(make([]float32, 8), make([]float32, 9), make([]float32, 3), 1, 1, 3, 3, make([]float32, 9), nil, false, 0, 0)
		})
	}
}
