package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPoolFast compares the two fast max pooling paths with the generic
// loop over geometries with pads, strides, dilations and ceil mode, for
// every tap kernel.
func TestMaxPoolFast(t *testing.T) {
	tests := []struct {
		h, w, kh, kw, sh, sw, dh, dw int
		pads                         [4]int
		ceil                         bool
	}{
		{8, 8, 2, 2, 2, 2, 1, 1, [4]int{}, false},
		{4, 4, 2, 2, 2, 2, 1, 1, [4]int{}, false},  // MaxPool2x2: two row pairs per block
		{16, 2, 2, 2, 2, 2, 1, 1, [4]int{}, false}, // eight per block
		{6, 32, 2, 2, 2, 2, 1, 1, [4]int{}, false}, // two blocks per row pair
		{4, 12, 2, 2, 2, 2, 1, 1, [4]int{}, false}, // rows MaxPool2x2's assembly does not take
		{64, 66, 2, 2, 2, 2, 1, 1, [4]int{}, false},
		{64, 64, 2, 2, 2, 2, 1, 1, [4]int{}, false}, // chunks of 2 planes, the last of 1
		{6, 38, 2, 2, 2, 2, 1, 1, [4]int{}, false},
		{112, 112, 3, 3, 2, 2, 1, 1, [4]int{1, 1, 1, 1}, false},
		{9, 11, 3, 3, 2, 2, 1, 1, [4]int{1, 1, 1, 1}, true},
		{10, 70, 3, 2, 1, 3, 2, 1, [4]int{2, 1, 0, 1}, false},
		{7, 7, 3, 3, 1, 1, 1, 1, [4]int{1, 1, 1, 1}, false},
		{13, 40, 2, 3, 3, 2, 1, 2, [4]int{0, 0, 0, 0}, true},
		{6, 6, 5, 5, 1, 1, 1, 1, [4]int{}, false},
	}
	r := rand.New(rand.NewPCG(31, 32))
	for _, tc := range tests {
		win := window{kernel: []int{tc.kh, tc.kw}, strides: []int{tc.sh, tc.sw}, dilations: []int{tc.dh, tc.dw},
			pads: []int{tc.pads[0], tc.pads[1], tc.pads[2], tc.pads[3]}}
		g, err := win.resolve([]int{tc.h, tc.w}, win.kernel, tc.ceil)
		if err != nil {
			t.Fatal(err)
		}
		const planes = 5
		x := randFloats(r, planes*tc.h*tc.w)
		x[3] = float32(math.Inf(-1))
		want := make([]float32, planes*g.out[0]*g.out[1])
		poolT(&runCtx{threads: 1}, &poolProblem{geo: g, planes: planes}, want, x, nil, true)
		paths := map[string]func(rc *runCtx, y []float32) bool{
			"taps":   func(rc *runCtx, y []float32) bool { return maxPoolTaps(rc, &g, planes, x, y) },
			"inside": func(rc *runCtx, y []float32) bool { return maxPoolInside(rc, &g, planes, x, y) },
		}
		for name, run := range paths {
			for kernels := range forEachKernel(t) {
				t.Run(fmt.Sprintf("%v/%s/%s", tc, name, kernels), func(t *testing.T) {
					y := make([]float32, len(want))
					if !run(&runCtx{threads: 2}, y) {
						t.Skip("path does not apply")
					}
					for i := range want {
						if y[i] != want[i] {
							t.Fatalf("y[%d] = %v, want %v", i, y[i], want[i])
						}
					}
				})
			}
		}
	}
}
