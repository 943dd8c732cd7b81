package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvShiftedRandom checks the segmented convolution on
// shifted planes (conv_shifted.go) against the naive convolution over
// random stride-1 geometries: kernels of 1 to 5 taps a side, dilations,
// asymmetric pads (larger than the kernel too), groups, batches that take
// several chunks, a fused residual with Relu6, on every kernel.
func TestConvShiftedRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	relu6 := &fusedAct{op: "Clip", clamp: true, lo: 0, hi: 6}
	for it := range 60 {
		kh, kw := 1+r.IntN(5), 1+r.IntN(5)
		dil := [2]int{1 + r.IntN(2), 1 + r.IntN(2)}
		pads := [4]int{r.IntN(4), r.IntN(4), r.IntN(4), r.IntN(4)}
		ow := 8 * (1 + r.IntN(2))
		oh := 2 + r.IntN(12)
		h := oh - pads[0] - pads[2] + (kh-1)*dil[0]
		w := ow - pads[1] - pads[3] + (kw-1)*dil[1]
		if h < 1 || w < 1 || oh*ow < 32 {
			continue
		}
		group := 1 + r.IntN(2)
		c, m := group*(1+r.IntN(12)), group*(1+r.IntN(20))
		n := 1 + r.IntN(3)
		if it%5 == 0 {
			n = 20 + r.IntN(30)
		}
		g := geometry{in: []int{h, w}, out: []int{oh, ow}, kernel: []int{kh, kw}, stride: []int{1, 1},
			dilation: dil[:], padBegin: []int{pads[0], pads[1]}, padEnd: []int{pads[2], pads[3]}}
		cg := c / group
		x := randFloats(r, n*c*h*w)
		wt := randFloats(r, m*cg*kh*kw)
		bias := randFloats(r, m)
		residual := randFloats(r, n*m*oh*ow)
		ref := naiveConv2DPads(x, wt, bias, n, c, h, w, m, kh, kw, group, [2]int{1, 1}, dil, pads, oh, ow)
		for i := range ref {
			ref[i] = max(0, min(6, ref[i]+residual[i]))
		}
		for kernels := range forEachKernel(t) {
			name := fmt.Sprintf("n%d_c%d_m%d_g%d_%dx%d_k%dx%d_d%v_p%v/%s", n, c, m, group, h, w, kh, kw, dil, pads, kernels)
			t.Run(name, func(t *testing.T) {
				p := convProblem{geo: g, batch: n, c: c, m: m, group: group, x: x, w: wt, bias: bias,
					y: make([]float32, len(ref)), residual: residual, act: relu6}
				for i := range p.y {
					p.y[i] = float32(math.NaN())
				}
				cp := newConvPlan(&p, algoImplicit, 1)
				if !cp.shifted {
					t.Skip("not on shifted planes")
				}
				convImplicit(&runCtx{threads: 1}, &p, nil, cp)
				for i := range ref {
					if d := math.Abs(float64(p.y[i] - ref[i])); !(d <= 1e-4) {
						t.Fatalf("y[%d] = %v, want %v", i, p.y[i], ref[i])
					}
				}
			})
		}
	}
}
