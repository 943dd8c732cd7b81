package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
)

// winoCase is a convolution geometry for the Winograd tests: pads are
// top, left, bottom, right.
type winoCase struct {
	n, c, h, w, m int
	pads          [4]int
}

// problem returns the case's convProblem with random operands from r
// (bias, residual and activation unset) and the naive reference output.
func (tc winoCase) problem(r *rand.Rand) (convProblem, []float32) {
	p := tc.operands(r)
	g := &p.geo
	ref := naiveConv2DPads(p.x, p.w, p.bias, tc.n, tc.c, tc.h, tc.w, tc.m, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, tc.pads, g.out[0], g.out[1])
	return p, ref
}

// operands returns the case's convProblem with random operands from r.
func (tc winoCase) operands(r *rand.Rand) convProblem {
	oh := tc.h + tc.pads[0] + tc.pads[2] - 2
	ow := tc.w + tc.pads[1] + tc.pads[3] - 2
	g := geometry{
		in: []int{tc.h, tc.w}, out: []int{oh, ow}, kernel: []int{3, 3},
		stride: []int{1, 1}, dilation: []int{1, 1},
		padBegin: []int{tc.pads[0], tc.pads[1]}, padEnd: []int{tc.pads[2], tc.pads[3]},
	}
	x := randFloats(r, tc.n*tc.c*tc.h*tc.w)
	w := randFloats(r, tc.m*tc.c*9)
	bias := randFloats(r, tc.m)
	return convProblem{geo: g, batch: tc.n, c: tc.c, m: tc.m, group: 1, x: x, w: w, bias: bias, y: make([]float32, tc.n*tc.m*oh*ow)}
}

// winoTolerance is the largest error allowed of an output, relative to
// the root mean square of the convolution's outputs (before the fused
// residual and activation): F(4×4, 3×3)'s transforms
// multiply by up to 8 and divide by 24, which costs float32 some bits.
// Measured on these cases: at most 3e-6 for tiles of 2 and 3e-5 for tiles
// of 4, where the direct paths' float32 sums stay under 1e-6.
func winoTolerance(m int) float64 {
	if m == 2 {
		return 1e-5
	}
	return 1e-4
}

// testFusion sets the fusion named (plain, residual+relu6 or halve) on p
// with the residual operand residual, applies it to the reference want,
// and fills p's output with NaN, which every output must overwrite.
func testFusion(p *convProblem, want, residual []float32, fusion string) {
	switch fusion {
	case "residual+relu6":
		p.residual, p.act = residual, &fusedAct{op: "Clip", clamp: true, lo: 0, hi: 6}
		for i := range want {
			want[i] = max(0, min(6, want[i]+residual[i]))
		}
	case "halve":
		p.act = &fusedAct{op: "Halve", fn: func(d, x []float32) {
			for i := range d {
				d[i] = x[i] / 2
			}
		}}
		for i := range want {
			want[i] /= 2
		}
	}
	for i := range p.y {
		p.y[i] = float32(math.NaN())
	}
}

// TestConvWinograd runs Winograd with tiles of 2 and 4, forced, on random
// geometries (odd sizes, pads 0 to 2 and asymmetric, batch 1 and 3, 1 to
// 130 channels, images smaller than a tile, blocks spanning images), with
// and without a fused residual and activation, on 1 and 3 threads and
// every kernel, against the naive reference in float64.
func TestConvWinograd(t *testing.T) {
	cases := []winoCase{
		{1, 1, 5, 5, 1, [4]int{1, 1, 1, 1}},
		{3, 3, 7, 9, 5, [4]int{0, 0, 0, 0}},
		{1, 16, 8, 8, 32, [4]int{1, 1, 1, 1}},
		{3, 17, 11, 13, 9, [4]int{2, 2, 2, 2}},
		{1, 8, 3, 3, 8, [4]int{0, 0, 0, 0}},
		{3, 5, 4, 6, 7, [4]int{2, 1, 0, 2}},
		{1, 64, 14, 14, 64, [4]int{1, 1, 1, 1}},
		{3, 40, 7, 7, 33, [4]int{1, 1, 1, 1}},
		{1, 130, 9, 10, 130, [4]int{1, 0, 1, 2}},
		{1, 260, 6, 6, 12, [4]int{1, 1, 1, 1}}, // two depth blocks
		{3, 2, 30, 23, 3, [4]int{1, 1, 1, 1}},
	}
	r := rand.New(rand.NewPCG(21, 22))
	for _, tc := range cases {
		p0, ref := tc.problem(r)
		residual := randFloats(r, len(ref))
		for _, m := range []int{2, 4} {
			for _, fusion := range []string{"plain", "residual+relu6", "halve"} {
				for _, threads := range []int{1, 3} {
					for kernels := range forEachKernel(t) {
						t.Run(fmt.Sprintf("%v/F%d/%s/threads=%d/%s", tc, m, fusion, threads, kernels), func(t *testing.T) {
							p := p0
							p.y = make([]float32, len(ref))
							want := append([]float32(nil), ref...)
							testFusion(&p, want, residual, fusion)
							cp := newConvPlan(&p, algoWinograd, threads)
							cp.wino = newWinoPlan(&p, m, cp.gemm)
							convWinograd(&runCtx{threads: threads}, &p, cp)
							checkWino(t, p.y, want, rms(ref), winoTolerance(m))
						})
					}
				}
			}
		}
	}
}

// rms is the root mean square of s.
func rms(s []float32) float64 {
	sum := 0.0
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

// checkWino fails unless got is want within tol·rms.
func checkWino(t *testing.T, got, want []float32, rms, tol float64) {
	t.Helper()
	worst := 0.0
	for i := range want {
		d := math.Abs(float64(got[i]-want[i])) / max(rms, 1e-30)
		if !(d <= tol) {
			t.Fatalf("y[%d] = %v, want %v (error %.3g of the rms %.3g, tolerance %.3g)", i, got[i], want[i], d, rms, tol)
		}
		worst = max(worst, d)
	}
	t.Logf("largest error %.3g of the rms", worst)
}

// BenchmarkConvWinograd compares, per 3×3 layer of stride 1 (ResNet-18's,
// the digits CNN's, small ones), the direct path the planner would take
// without Winograd with Winograd forced to tiles of 2 and 4 and with the
// planner's choice, weights packed at load and Relu fused, reporting
// GFLOP/s of the direct algorithm's work by the process's CPU time.
func BenchmarkConvWinograd(b *testing.B) {
	layers := []struct {
		name         string
		c, hw, m, bs int
	}{
		{"resnet-64@56", 64, 56, 64, 1}, {"resnet-64@56", 64, 56, 64, 32},
		{"resnet-128@28", 128, 28, 128, 1}, {"resnet-128@28", 128, 28, 128, 32},
		{"resnet-256@14", 256, 14, 256, 1}, {"resnet-256@14", 256, 14, 256, 32},
		{"resnet-512@7", 512, 7, 512, 1}, {"resnet-512@7", 512, 7, 512, 32},
		{"digits-16to32@8", 16, 8, 32, 1}, {"digits-16to32@8", 16, 8, 32, 32},
		{"small-32to32@16", 32, 16, 32, 32},
	}
	for _, ly := range layers {
		for _, threads := range []int{1, 2} {
			for _, algo := range []string{"direct", "F2", "F4", "planned"} {
				b.Run(fmt.Sprintf("%s/batch=%d/threads=%d/%s", ly.name, ly.bs, threads, algo), func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 2))
					p := winoCase{ly.bs, ly.c, ly.hw, ly.hw, ly.m, [4]int{1, 1, 1, 1}}.operands(r)
					p.act = &fusedAct{op: "Relu", clamp: true, lo: 0, hi: float32(math.Inf(1))}
					packed := []gemmOperand{prepackA(rowMajor(p.w, 9*p.c, false), p.m, 9*p.c)}
					p.winoW = &winoWeights{}
					var cp *convPlan
					switch algo {
					case "direct":
						winogradEnabled = false
						cp = newConvPlan(&p, chooseConvAlgo(&p, true), threads)
						winogradEnabled = true
					case "planned":
						cp = newConvPlan(&p, chooseConvAlgo(&p, true), threads)
					default:
						cp = newConvPlan(&p, algoWinograd, threads)
						if cp.wino = newWinoPlan(&p, int(algo[1]-'0'), cp.gemm); cp.wino == nil {
							b.Skipf("%s: transformed filters over winoMaxWeights", algo)
						}
					}
					rc := &runCtx{threads: threads}
					cp.run(rc, &p, packed)
					cpu := testutil.ProcessCPU()
					for b.Loop() {
						cp.run(rc, &p, packed)
					}
					flops := 2 * float64(ly.bs*ly.m*ly.c*9*ly.hw*ly.hw) * float64(b.N)
					if c := (testutil.ProcessCPU() - cpu).Seconds(); c > 0 {
						b.ReportMetric(flops/c/1e9, "cpu-GFLOP/s")
					}
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// TestConvWinogradPlanned checks which layers the cost model gives
// Winograd (wide enough layers on planes large enough, not the digits
// CNN's 16 channels on 8×8, 96 channels on 4×4, nor 512 channels, whose
// transformed filters would take too much memory), that
// turning it off keeps the direct path, and that the planned Winograd
// (weights transformed through the Conv's cache) matches the reference.
func TestConvWinogradPlanned(t *testing.T) {
	if !defaultTaps().HasWinograd() {
		t.Skip("no Winograd kernels on this CPU")
	}
	cases := []struct {
		tc   winoCase
		want int // tile size, 0 for none
	}{
		{winoCase{1, 64, 28, 28, 64, [4]int{1, 1, 1, 1}}, 4},
		{winoCase{1, 128, 28, 28, 128, [4]int{1, 1, 1, 1}}, 4},
		{winoCase{1, 256, 14, 14, 256, [4]int{1, 1, 1, 1}}, 2},
		{winoCase{1, 512, 7, 7, 512, [4]int{1, 1, 1, 1}}, 0},
		{winoCase{1, 96, 4, 4, 96, [4]int{1, 1, 1, 1}}, 0},
		{winoCase{32, 16, 8, 8, 32, [4]int{1, 1, 1, 1}}, 0},
		{winoCase{1, 3, 56, 56, 64, [4]int{1, 1, 1, 1}}, 0},
	}
	r := rand.New(rand.NewPCG(31, 32))
	for _, c := range cases {
		t.Run(fmt.Sprint(c.tc), func(t *testing.T) {
			p := c.tc.operands(r)
			if got := winoTile(&p, defaultGemm()); got != c.want {
				t.Fatalf("winoTile = %d, want %d", got, c.want)
			}
			if c.want == 0 {
				return
			}
			winogradEnabled = false
			off := chooseConvAlgo(&p, true)
			winogradEnabled = true
			if off == algoWinograd || chooseConvAlgo(&p, false) == algoWinograd || chooseConvAlgo(&p, true) != algoWinograd {
				t.Fatalf("Winograd chosen off %v, without constant weights %v, or not chosen", off, chooseConvAlgo(&p, false))
			}
			if p.batch*p.c*p.m*p.geo.out[0]*p.geo.out[1] > 1<<22 {
				return // the naive reference would take seconds
			}
			g := &p.geo
			ref := naiveConv2DPads(p.x, p.w, p.bias, p.batch, p.c, g.in[0], g.in[1], p.m, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, c.tc.pads, g.out[0], g.out[1])
			packed := []gemmOperand{prepackA(rowMajor(p.w, 9*p.c, false), p.m, 9*p.c)}
			p.winoW = &winoWeights{}
			cp := newConvPlan(&p, algoWinograd, 2)
			if cp.wino == nil || cp.wino.m != c.want {
				t.Fatalf("plan %+v, want tiles of %d", cp.wino, c.want)
			}
			for range 2 { // the second run with the cached filters
				cp.run(&runCtx{threads: 2}, &p, packed)
				checkWino(t, p.y, ref, rms(ref), winoTolerance(c.want))
			}
		})
	}
}

// TestConvWinogradAllocs checks that a planned Winograd run allocates
// nothing once its filters are transformed, with a narrow last panel and
// blocks of both sizes, on one and two threads.
func TestConvWinogradAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, threads := range []int{1, 2} {
		for _, m := range []int{2, 4} {
			p := winoCase{3, 24, 13, 11, 20, [4]int{1, 1, 1, 1}}.operands(r)
			p.act = &fusedAct{op: "Relu", clamp: true, lo: 0, hi: float32(math.Inf(1))}
			p.residual = randFloats(r, len(p.y))
			p.winoW = &winoWeights{}
			packed := []gemmOperand{prepackA(rowMajor(p.w, 9*p.c, false), p.m, 9*p.c)}
			cp := newConvPlan(&p, algoWinograd, threads)
			cp.wino = newWinoPlan(&p, m, cp.gemm)
			rc := &runCtx{threads: threads}
			cp.run(rc, &p, packed)
			if n := testing.AllocsPerRun(20, func() { cp.run(rc, &p, packed) }); n != 0 {
				t.Errorf("F%d, %d threads: %v allocations per run, want 0", m, threads, n)
			}
		}
	}
}

// TestWinogradSplit: a plan whose threads share the output channels
// (winoSplits) computes the one-thread plan's outputs bit for bit, with
// tiles of 2 and 4, on 2 and 3 threads (parts cut at the row tile, the
// last one short), a batch of 2, with bias, residual and activation, on
// every kernel; and the planner splits ResNet-18's 256@14 layer at batch
// 1 on two threads, but neither on one thread nor where the tiles
// outnumber the output channels (a batch of 4, the 128@28 layer).
func TestWinogradSplit(t *testing.T) {
	cases := []winoCase{
		{1, 96, 6, 6, 200, [4]int{1, 1, 1, 1}},
		{2, 128, 6, 5, 136, [4]int{1, 0, 1, 2}},
		{1, 40, 9, 9, 72, [4]int{0, 0, 0, 0}},
	}
	r := rand.New(rand.NewPCG(31, 32))
	for kernels := range forEachKernel(t) {
		for _, tc := range cases {
			p0 := tc.operands(r)
			residual := randFloats(r, len(p0.y))
			for _, m := range []int{2, 4} {
				for _, fusion := range []string{"plain", "residual+relu6"} {
					for _, threads := range []int{2, 3} {
						t.Run(fmt.Sprintf("%s/%v/F%d/%s/threads=%d", kernels, tc, m, fusion, threads), func(t *testing.T) {
							run := func(threads int, split bool) []float32 {
								p := p0
								p.y = make([]float32, len(p0.y))
								testFusion(&p, make([]float32, len(p.y)), residual, fusion)
								cp := newConvPlan(&p, algoWinograd, threads)
								cp.wino = newWinoPlan(&p, m, cp.gemm)
								if split {
									cp.wino = newWinoPlanRows(&p, m, cp.gemm, cp.wino.tileRows)
									cp.wino.split = true
								}
								convWinograd(&runCtx{threads: threads}, &p, cp)
								return p.y
							}
							want := run(1, false)
							got := run(threads, true)
							for i := range want {
								if got[i] != want[i] {
									t.Fatalf("y[%d] = %v split on %d threads, %v on one", i, got[i], threads, want[i])
								}
							}
						})
					}
				}
			}
		}
		for _, pc := range []struct {
			name             string
			c, hw, batch, th int
			split            bool
		}{
			{"256@14 batch 1 threads 2", 256, 14, 1, 2, true},
			{"256@14 batch 1 threads 1", 256, 14, 1, 1, false},
			{"256@14 batch 4 threads 2", 256, 14, 4, 2, false},
			{"128@28 batch 1 threads 2", 128, 28, 1, 2, false},
		} {
			t.Run(kernels+"/plan/"+pc.name, func(t *testing.T) {
				p := winoCase{pc.batch, pc.c, pc.hw, pc.hw, pc.c, [4]int{1, 1, 1, 1}}.operands(r)
				if chooseConvAlgo(&p, true) != algoWinograd {
					t.Skip("the planner does not choose Winograd here with this kernel")
				}
				cp := newConvPlan(&p, algoWinograd, pc.th)
				if got := cp.wino != nil && cp.wino.split; got != pc.split {
					t.Fatalf("split %v, want %v", got, pc.split)
				}
			})
		}
	}
}

// TestWinogradBalanced: a plan balanced for threads (winoPlan.balance)
// cuts the tile rows into a multiple of threads blocks of rows or rows-1
// rows, in order and covering them all, and computes the one-thread
// plan's outputs bit for bit, with bias, residual and activation, on every
// kernel; a plan with fewer blocks than threads stays as it is.
func TestWinogradBalanced(t *testing.T) {
	cases := []winoCase{
		{1, 64, 56, 56, 64, [4]int{1, 1, 1, 1}}, // ResNet-18's layer1: 4, 4, 4, 2 tile rows at F(4×4)
		{3, 96, 17, 19, 80, [4]int{1, 0, 2, 1}},
		{2, 64, 28, 28, 48, [4]int{1, 1, 1, 1}},
		{1, 16, 20, 20, 16, [4]int{1, 1, 1, 1}}, // one block
	}
	r := rand.New(rand.NewPCG(61, 62))
	balanced := 0
	for kernels := range forEachKernel(t) {
		for _, tc := range cases {
			p0 := tc.operands(r)
			residual := randFloats(r, len(p0.y))
			for _, m := range []int{2, 4} {
				for _, threads := range []int{2, 3} {
					t.Run(fmt.Sprintf("%s/%v/F%d/threads=%d", kernels, tc, m, threads), func(t *testing.T) {
						run := func(threads int, balance bool) ([]float32, *winoPlan) {
							p := p0
							p.y = make([]float32, len(p0.y))
							testFusion(&p, make([]float32, len(p.y)), residual, "residual+relu6")
							cp := newConvPlan(&p, algoWinograd, threads)
							cp.wino = newWinoPlan(&p, m, cp.gemm)
							if balance {
								cp.wino.balance(&p, cp.gemm, threads)
							}
							convWinograd(&runCtx{threads: threads}, &p, cp)
							return p.y, cp.wino
						}
						want, wp1 := run(1, false)
						got, wp := run(threads, true)
						if wp1.blocks < threads {
							if wp.balanced {
								t.Fatalf("%d blocks for %d threads were balanced", wp1.blocks, threads)
							}
							return
						}
						if !wp.balanced || wp.blocks%threads != 0 || wp.blocks < wp1.blocks {
							t.Fatalf("balanced %v into %d blocks (of %d before), want a multiple of %d", wp.balanced, wp.blocks, wp1.blocks, threads)
						}
						balanced++
						next := 0
						for k := range wp.blocks {
							g0, g1 := wp.blockRows(k)
							if g0 != next || g1-g0 != wp.rows && g1-g0 != wp.rows-1 {
								t.Fatalf("block %d has tile rows [%d, %d), want from %d, %d or %d of them", k, g0, g1, next, wp.rows, wp.rows-1)
							}
							next = g1
						}
						if next != wp.tileRows {
							t.Fatalf("the blocks end at tile row %d of %d", next, wp.tileRows)
						}
						for i := range want {
							if got[i] != want[i] {
								t.Fatalf("y[%d] = %v balanced on %d threads, %v on one", i, got[i], threads, want[i])
							}
						}
					})
				}
			}
		}
	}
	if balanced < 8 {
		t.Errorf("%d plans were balanced: the cases do not test it", balanced)
	}
}
