package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

// TestRowKernelAccuracy compares LayerNorm and Softmax on the
// AVX-512 row kernels (float32 lane sums) and on the previous path
// (float64 statistics) against float64 references, on long rows and rows
// with a large mean; it logs the errors (informational: float32 lane sums lose
// up to ~25x the float64 path's accuracy at n=65536, mean 100) and fails
// only past 4e-4.
func TestRowKernelAccuracy(t *testing.T) {
	taps := simd.TapKernels()
	if !taps[0].HasRowKernels() {
		t.Skip("no row kernels")
	}
	var prev *simd.TapKernel
	for _, k := range taps[1:] {
		if !k.HasRowKernels() && k.Width > 1 {
			prev = k
			break
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	defer func() { forcedTaps = nil }()
	for _, n := range []int{768, 4096, 65536} {
		for _, offset := range []float64{0, 100, 3000} {
			t.Run(fmt.Sprintf("layernorm/n=%d/mean=%g", n, offset), func(t *testing.T) {
				x := make([]float32, n)
				g, b := make([]float32, n), make([]float32, n)
				for i := range x {
					x[i] = float32(offset + r.NormFloat64())
					g[i], b[i] = 1, 0
				}
				var mean, ss float64
				for _, v := range x {
					mean += float64(v)
				}
				mean /= float64(n)
				for _, v := range x {
					ss += (float64(v) - mean) * (float64(v) - mean)
				}
				inv := 1 / math.Sqrt(ss/float64(n)+1e-5)
				k := &layerNormKernel{eps: 1e-5, gamma: g, beta: b}
				errOf := func(tk *simd.TapKernel) float64 {
					forcedTaps = tk
					y := make([]float32, n)
					k.rows32(y, x, n, 0, 1)
					e := 0.0
					for i, v := range x {
						e = max(e, math.Abs(float64(y[i])-(float64(v)-mean)*inv))
					}
					return e
				}
				eNew, eOld := errOf(taps[0]), errOf(prev)
				t.Logf("row kernel %.3g, previous %.3g", eNew, eOld)
				if eNew > 4e-4 {
					t.Errorf("row kernel error %.3g vs previous path %.3g", eNew, eOld)
				}
			})
		}
		t.Run(fmt.Sprintf("softmax/n=%d", n), func(t *testing.T) {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 0.01)
			}
			m := math.Inf(-1)
			for _, v := range x {
				m = max(m, float64(v))
			}
			var sum float64
			for _, v := range x {
				sum += math.Exp(float64(v) - m)
			}
			errOf := func(tk *simd.TapKernel) float64 {
				forcedTaps = tk
				y := make([]float32, n)
				softmaxRows32(y, x, n, 0, 1)
				e := 0.0
				for i, v := range x {
					w := math.Exp(float64(v)-m) / sum
					e = max(e, math.Abs(float64(y[i])-w)/w)
				}
				return e
			}
			eNew, eOld := errOf(taps[0]), errOf(prev)
			t.Logf("row kernel rel %.3g, previous %.3g", eNew, eOld)
			if eNew > 8*eOld+1e-5 {
				t.Errorf("row kernel relative error %.3g vs previous path %.3g", eNew, eOld)
			}
		})
	}
}
