package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
)

// TestConvPointwiseTrans checks the transposed pointwise convolution bit
// for bit against the untransposed one (convPointwise, weights packed the
// same way) over planes whose positions leave no, one or several rows of
// a last row panel, output channels that leave a partial column tile,
// depths over one packed block, groups, batches, threads, and a fused
// residual with Relu6 or an activation applied after the kernel.
func TestConvPointwiseTrans(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	relu6 := &fusedAct{op: "Clip", clamp: true, lo: 0, hi: 6}
	halve := &fusedAct{op: "Halve", fn: func(d, x []float32) {
		for i := range d {
			d[i] = x[i] / 2
		}
	}}
	for _, tc := range []struct{ n, c, h, w, m, group int }{
		{1, 96, 7, 7, 160, 1},
		{1, 300, 7, 7, 64, 1},
		{2, 40, 14, 14, 72, 1},
		{1, 16, 5, 5, 40, 1},
		{3, 8, 1, 9, 32, 1},
		{1, 520, 3, 5, 33, 1},
		{2, 12, 2, 4, 24, 2},
		{1, 7, 1, 1, 64, 1},
		{1, 64, 7, 7, 1000, 1},
	} {
		hw := tc.h * tc.w
		cg, mg := tc.c/tc.group, tc.m/tc.group
		x := randFloats(r, tc.n*tc.c*hw)
		w := randFloats(r, tc.m*cg)
		bias := randFloats(r, tc.m)
		residual := randFloats(r, tc.n*tc.m*hw)
		g := geometry{in: []int{tc.h, tc.w}, out: []int{tc.h, tc.w}, kernel: []int{1, 1}, stride: []int{1, 1},
			dilation: []int{1, 1}, padBegin: []int{0, 0}, padEnd: []int{0, 0}}
		for _, fusion := range []string{"plain", "residual+relu6", "halve"} {
			for _, threads := range []int{1, 2} {
				for kernels := range forEachKernel(t) {
					t.Run(fmt.Sprintf("%v/%s/threads=%d/%s", tc, fusion, threads, kernels), func(t *testing.T) {
						var packed []gemmOperand
						for grp := range tc.group {
							packed = append(packed, prepackA(rowMajor(w[grp*mg*cg:], cg, false), mg, cg))
						}
						run := func(trans bool) []float32 {
							p := convProblem{geo: g, batch: tc.n, c: tc.c, m: tc.m, group: tc.group,
								x: x, w: w, bias: bias, y: make([]float32, tc.n*tc.m*hw)}
							switch fusion {
							case "residual+relu6":
								p.residual, p.act = residual, relu6
							case "halve":
								p.act = halve
							}
							for i := range p.y {
								p.y[i] = float32(math.NaN())
							}
							cp := newConvPlan(&p, algoPointwise, threads)
							cp.trans = nil
							if trans {
								cp.trans = newTransPlan(cg, cp.gemm)
								if cp.trans == nil {
									t.Skip("no transposed kernel")
								}
							}
							cp.run(&runCtx{threads: threads}, &p, packed)
							return p.y
						}
						want, got := run(false), run(true)
						for i := range want {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("y[%d] = %v, want %v", i, got[i], want[i])
							}
						}
					})
				}
			}
		}
	}
}

// TestConvTransPlanned checks which pointwise convolutions run transposed:
// small planes whose positions fill row tiles of 8 better than column
// tiles of 32, on the kernels that have a transposed form.
func TestConvTransPlanned(t *testing.T) {
	for _, tc := range []struct {
		hw, c, m, batch int
		want            bool
	}{
		{7, 960, 160, 1, true}, {7, 160, 960, 1, true}, {7, 320, 1280, 32, true}, {14, 96, 576, 1, true},
		{14, 64, 384, 1, true}, {14, 576, 96, 1, true},
		{56, 24, 144, 1, false}, {28, 32, 192, 1, false}, {28, 192, 32, 1, false}, {7, 64, 24, 1, false},
	} {
		for kernels := range forEachKernel(t) {
			p := convProblem{geo: geometry{in: []int{tc.hw, tc.hw}, out: []int{tc.hw, tc.hw}, kernel: []int{1, 1},
				stride: []int{1, 1}, dilation: []int{1, 1}, padBegin: []int{0, 0}, padEnd: []int{0, 0}},
				batch: tc.batch, c: tc.c, m: tc.m, group: 1}
			a := chooseConvAlgo(&p, true)
			cp := newConvPlan(&p, a, 1)
			want := tc.want && cp.gemm.kern.Trans != nil
			if got := a == algoPointwise && cp.trans != nil; got != want {
				t.Errorf("%d×%d, %d to %d channels, batch %d, on %s: transposed %v, want %v", tc.hw, tc.hw, tc.c, tc.m, tc.batch, kernels, got, want)
			}
			// Weights computed at run time cannot run transposed: the
			// choice is then the untransposed one.
			if a := chooseConvAlgo(&p, false); a == algoPointwise && !usePointwise(&p) {
				t.Errorf("%d×%d, %d to %d channels, batch %d, on %s: runtime weights planned pointwise for the transposed path", tc.hw, tc.hw, tc.c, tc.m, tc.batch, kernels)
			}
		}
	}
}

// BenchmarkConvPointwiseTrans runs MobileNetV2's 1×1 layers at batch 1 on
// one thread, untransposed and transposed (Relu6 fused), reporting
// GFLOP/s by wall and by CPU time.
func BenchmarkConvPointwiseTrans(b *testing.B) {
	layers := []struct{ c, hw, m int }{
		{960, 7, 160}, {320, 7, 1280}, {160, 7, 960}, {576, 7, 160}, {64, 7, 64},
		{96, 14, 576}, {576, 14, 96}, {64, 14, 384}, {384, 14, 64},
		{32, 28, 192}, {192, 28, 32}, {24, 56, 144}, {144, 56, 24},
	}
	for _, ly := range layers {
		for _, v := range []string{"untransposed", "transposed"} {
			b.Run(fmt.Sprintf("%dto%d@%d/%s", ly.c, ly.m, ly.hw, v), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				hw := ly.hw * ly.hw
				p := convProblem{
					geo: geometry{in: []int{ly.hw, ly.hw}, out: []int{ly.hw, ly.hw}, kernel: []int{1, 1},
						stride: []int{1, 1}, dilation: []int{1, 1}, padBegin: []int{0, 0}, padEnd: []int{0, 0}},
					batch: 1, c: ly.c, m: ly.m, group: 1,
					x: randFloats(r, ly.c*hw), w: randFloats(r, ly.m*ly.c), bias: randFloats(r, ly.m),
					y:   make([]float32, ly.m*hw),
					act: &fusedAct{op: "Clip", clamp: true, lo: 0, hi: 6},
				}
				packed := []gemmOperand{prepackA(rowMajor(p.w, ly.c, false), ly.m, ly.c)}
				cp := newConvPlan(&p, algoPointwise, 1)
				cp.trans = nil
				if v == "transposed" {
					if cp.trans = newTransPlan(ly.c, cp.gemm); cp.trans == nil {
						b.Skip("no transposed kernel")
					}
				}
				rc := &runCtx{threads: 1}
				cp.run(rc, &p, packed)
				cpu := testutil.ProcessCPU()
				for b.Loop() {
					cp.run(rc, &p, packed)
				}
				flops := 2 * float64(ly.m*ly.c*hw) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if c := (testutil.ProcessCPU() - cpu).Seconds(); c > 0 {
					b.ReportMetric(flops/c/1e9, "cpu-GFLOP/s")
				}
			})
		}
	}
}
