package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Reviewer's tests of the Winograd path (s10-review-wino).

// winoDirect runs p on the path the planner takes with Winograd off and
// returns the output.
func winoDirect(p convProblem, threads int) []float32 {
	p.y = make([]float32, len(p.y))
	packed := []gemmOperand{prepackA(rowMajor(p.w, 9*p.c, false), p.m, 9*p.c)}
	winogradEnabled = false
	cp := newConvPlan(&p, chooseConvAlgo(&p, true), threads)
	winogradEnabled = true
	cp.run(&runCtx{threads: threads}, &p, packed)
	return p.y
}

// winoForced runs p with Winograd forced to tiles of m.
func winoForced(p convProblem, m, threads int) []float32 {
	p.y = make([]float32, len(p.y))
	cp := newConvPlan(&p, algoWinograd, threads)
	cp.wino = newWinoPlan(&p, m, cp.gemm)
	convWinograd(&runCtx{threads: threads}, &p, cp)
	return p.y
}

// maxErr returns the largest |got-want| over the rms of want.
func maxErr(got, want []float32) float64 {
	worst := 0.0
	r := max(rms(want), 1e-30)
	for i := range want {
		d := math.Abs(float64(got[i])-float64(want[i])) / r
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = max(worst, d)
	}
	return worst
}

// TestWinogradLargeOffsetPrecision: inputs with a large common offset
// (unnormalised pixels, activations of a layer without normalisation) and
// filters that cancel it (zero-mean filters: the outputs are the small
// local differences), on a layer the planner gives F(4×4) (asserted).
// Winograd's transforms multiply the offset (Bᵀ has 4 and −5, Aᵀ 8)
// before the cancellation; the direct paths' float32 sums cancel too.
// Measured (error over the outputs' rms): offset 0: direct 1.8e-6, F2
// 1.6e-6, F4 2.9e-5; offset 1000: direct 5.0e-4, F2 1.3e-4, F4 6.0e-4.
// F(4×4) must stay within 10× the direct path's error or its tolerance.
func TestWinogradLargeOffsetPrecision(t *testing.T) {
	if !defaultTaps().HasWinograd() {
		t.Skip("no Winograd kernels on this CPU")
	}
	for _, offset := range []float32{0, 10, 255, 1000} {
		t.Run(fmt.Sprint("offset=", offset), func(t *testing.T) {
			r := rand.New(rand.NewPCG(41, 42))
			tc := winoCase{1, 64, 28, 28, 64, [4]int{1, 1, 1, 1}}
			p := tc.operands(r)
			p.bias = nil
			for i := range p.x {
				p.x[i] += offset
			}
			// Zero-mean filters: each 3×3 filter minus its mean.
			for i := 0; i < len(p.w); i += 9 {
				s := float32(0)
				for _, v := range p.w[i : i+9] {
					s += v
				}
				for j := range 9 {
					p.w[i+j] -= s / 9
				}
			}
			if m := winoTile(&p, defaultGemm()); m != 4 {
				t.Fatalf("winoTile = %d, the layer is expected to take F(4×4)", m)
			}
			g := &p.geo
			ref := naiveConv2DPads(p.x, p.w, nil, p.batch, p.c, g.in[0], g.in[1], p.m, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, tc.pads, g.out[0], g.out[1])
			// Only the interior: at the border the zero padding breaks the
			// cancellation and the outputs are large.
			interior := func(y []float32) []float32 {
				var s []float32
				for ch := range p.m {
					for oy := 1; oy < g.out[0]-1; oy++ {
						row := y[(ch*g.out[0]+oy)*g.out[1]:]
						s = append(s, row[1:g.out[1]-1]...)
					}
				}
				return s
			}
			want := interior(ref)
			direct := maxErr(interior(winoDirect(p, 1)), want)
			f4 := maxErr(interior(winoForced(p, 4, 1)), want)
			f2 := maxErr(interior(winoForced(p, 2, 1)), want)
			t.Logf("error / rms of the outputs: direct %.3g, F(2×2) %.3g, F(4×4) %.3g", direct, f2, f4)
			if f4 > max(10*direct, winoTolerance(4)) {
				t.Errorf("F(4×4) error %.3g of the outputs' rms, direct path %.3g (tolerance %.3g)", f4, direct, winoTolerance(4))
			}
		})
	}
}

// TestWinogradInfStaysLocal: an infinite or NaN input must only affect
// the outputs whose 3×3 window reads it (there, +Inf times a positive
// filter is +Inf, NaN stays NaN, through a fused Relu too; elsewhere the
// output stays finite), as on the direct paths (ONNX: an output depends
// only on its window).
// F(4×4) mixes every input of a tile's 6×6 patch into every output of
// the tile with coefficients that cancel in exact arithmetic, and
// Inf−Inf, NaN·x are NaN: outputs that never read the value become NaN
// (448 of them for one input at 64 channels). F(2×2) keeps them local
// (its transforms' zeros are skipped and its supports match the
// windows).
func TestWinogradInfStaysLocal(t *testing.T) {
	if !defaultTaps().HasWinograd() {
		t.Skip("no Winograd kernels on this CPU")
	}
	for _, bad := range []float32{float32(math.Inf(1)), float32(math.NaN())} {
		r := rand.New(rand.NewPCG(43, 44))
		tc := winoCase{1, 64, 28, 28, 64, [4]int{1, 1, 1, 1}}
		p := tc.operands(r)
		p.act = &fusedAct{op: "Relu", clamp: true, lo: 0, hi: float32(math.Inf(1))}
		for i := range p.w { // positive filters: a window reading +Inf gives +Inf
			p.w[i] = float32(math.Abs(float64(p.w[i]))) + 0.01
		}
		const iy, ix = 13, 13 // channel 0
		p.x[iy*28+ix] = bad
		reads := func(i int) bool {
			oy, ox := i/28%28, i%28
			return oy-1 <= iy && iy <= oy+1 && ox-1 <= ix && ix <= ox+1
		}
		finite := func(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
		direct := winoDirect(p, 1)
		for i, v := range direct {
			if !reads(i) && !finite(v) {
				t.Fatalf("x = %v: direct path: y[%d] = %v", bad, i, v)
			}
		}
		for _, m := range []int{2, 4} {
			got := winoForced(p, m, 1)
			n := 0
			for i, v := range got {
				if !reads(i) && !finite(v) {
					if n == 0 {
						t.Errorf("x[0][%d][%d] = %v, F(%d×%d): y[%d][%d][%d] = %v (direct path %v), its window does not read it",
							iy, ix, bad, m, m, i/784, i/28%28, i%28, v, direct[i])
					}
					n++
				}
			}
			if n > 0 {
				t.Errorf("x = %v, F(%d×%d): %d outputs not reading it are not finite", bad, m, m, n)
			}
		}
	}
}

// TestWinogradLargeMagnitudeOverflow: finite inputs up to 1e37 with
// filters of 1e-3, whose direct outputs are finite (|y| ≤ 9·C·|w|·|x| ≈
// 5.8e36 < 3.4e38), overflow in F(4×4)'s input transform (which scales a
// patch by up to 100 before the products cancel) and come out as ±Inf or
// NaN.
func TestWinogradLargeMagnitudeOverflow(t *testing.T) {
	if !defaultTaps().HasWinograd() {
		t.Skip("no Winograd kernels on this CPU")
	}
	r := rand.New(rand.NewPCG(45, 46))
	tc := winoCase{1, 64, 28, 28, 64, [4]int{1, 1, 1, 1}}
	p := tc.operands(r)
	for i := range p.x {
		p.x[i] *= 1e37
	}
	for i := range p.w {
		p.w[i] *= 0.001
	}
	direct := winoDirect(p, 1)
	for i, v := range direct {
		if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
			t.Fatalf("direct path overflowed at %d: %v", i, v)
		}
	}
	for _, m := range []int{2, 4} {
		got := winoForced(p, m, 1)
		bad := 0
		for i, v := range got {
			if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
				if bad == 0 {
					t.Errorf("F(%d×%d): y[%d] = %v, direct path %v", m, m, i, v, direct[i])
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("F(%d×%d): %d of %d outputs not finite", m, m, bad, len(got))
		}
	}
}

// TestWinogradRandomGeometry runs forced Winograd on random geometries
// (planes of 1 to 13, pads 0 to 4 each side, batch 1 to 3, channels 1 to
// 40: every count of columns against the kernels' panels, the narrow
// one included) with 1 and 2 threads and every kernel against the naive
// reference.
func TestWinogradRandomGeometry(t *testing.T) {
	for kernels := range forEachKernel(t) {
		r := rand.New(rand.NewPCG(47, 48))
		for it := range 150 {
			var tc winoCase
			tc.n, tc.c, tc.m = 1+r.IntN(3), 1+r.IntN(40), 1+r.IntN(40)
			tc.h, tc.w = 1+r.IntN(13), 1+r.IntN(13)
			for i := range tc.pads {
				tc.pads[i] = r.IntN(5)
			}
			if tc.h+tc.pads[0]+tc.pads[2] < 3 || tc.w+tc.pads[1]+tc.pads[3] < 3 {
				continue
			}
			p, ref := tc.problem(r)
			for _, m := range []int{2, 4} {
				threads := 1 + it%2
				got := winoForced(p, m, threads)
				if e := maxErr(got, ref); !(e <= winoTolerance(m)) {
					t.Fatalf("%s %+v F%d threads=%d: error %.3g of the rms", kernels, tc, m, threads, e)
				}
			}
		}
	}
}

// TestWinogradBatchInvariant: an image's output must not depend on the
// batch it runs in (split runs, TestSplitRunsMatchWhole, compare whole
// batches with sub-batches bit for bit; a server's dynamic batching puts
// a request in batches of any size). The planner chooses Winograd, and
// its tile size, per problem including the batch: when the choice
// differs between batch sizes (ResNet-18's 512@7: F(2×2) at batch 1, the
// direct path from batch 2 at d4cabd4 and e98b41c), the same image gets
// different bits. Passes from f171afe (the choice is made per image).
func TestWinogradBatchInvariant(t *testing.T) {
	if !defaultTaps().HasWinograd() {
		t.Skip("no Winograd kernels on this CPU")
	}
	layers := []struct{ c, hw int }{{64, 56}, {128, 28}, {256, 14}, {512, 7}}
	for _, ly := range layers {
		t.Run(fmt.Sprintf("%d@%d", ly.c, ly.hw), func(t *testing.T) {
			r := rand.New(rand.NewPCG(51, 52))
			big := winoCase{4, ly.c, ly.hw, ly.hw, ly.c, [4]int{1, 1, 1, 1}}.operands(r)
			run := func(batch int) ([]float32, convAlgo, int) {
				p := big
				p.batch = batch
				p.x = big.x[:batch*p.c*ly.hw*ly.hw]
				p.y = make([]float32, batch*p.m*ly.hw*ly.hw)
				p.winoW = &winoWeights{}
				packed := []gemmOperand{prepackA(rowMajor(p.w, 9*p.c, false), p.m, 9*p.c)}
				cp := newConvPlan(&p, chooseConvAlgo(&p, true), 1)
				cp.run(&runCtx{threads: 1}, &p, packed)
				m := 0
				if cp.wino != nil {
					m = cp.wino.m
				}
				return p.y[:p.m*ly.hw*ly.hw], cp.algo, m
			}
			one, algo1, m1 := run(1)
			for _, batch := range []int{2, 4} {
				got, algo, m := run(batch)
				for i := range one {
					if got[i] != one[i] {
						t.Fatalf("batch %d (algo %d, Winograd tile %d, 0 for none): image 0's y[%d] = %v, at batch 1 (algo %d, tile %d) %v",
							batch, algo, m, i, got[i], algo1, m1, one[i])
					}
				}
			}
		})
	}
}

// TestWinogradRunAllocs: a steady-state Winograd convolution allocates
// nothing (TestSteadyStateAllocs holds whole runs to 10 allocations;
// ResNet-18 made 19544 at d4cabd4, where winoPanels called
// impl.narrowed(), which returns a new gemmImpl, once per tile row chunk
// of every channel in input and once per ξ in product). Passes from
// e98b41c.
func TestWinogradRunAllocs(t *testing.T) {
	for _, tc := range []winoCase{
		{1, 64, 28, 28, 64, [4]int{1, 1, 1, 1}},
		{1, 32, 9, 9, 32, [4]int{1, 1, 1, 1}},
	} {
		for _, m := range []int{2, 4} {
			r := rand.New(rand.NewPCG(53, 54))
			p := tc.operands(r)
			p.winoW = &winoWeights{}
			packed := []gemmOperand{prepackA(rowMajor(p.w, 9*p.c, false), p.m, 9*p.c)}
			cp := newConvPlan(&p, algoWinograd, 1)
			cp.wino = newWinoPlan(&p, m, cp.gemm)
			rc := &runCtx{threads: 1}
			cp.run(rc, &p, packed)
			if n := testing.AllocsPerRun(5, func() { cp.run(rc, &p, packed) }); n > 0 {
				t.Errorf("%+v F%d: %v allocations per run, want 0", tc, m, n)
			}
		}
	}
}
