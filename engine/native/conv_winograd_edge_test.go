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

// TestWinogradInfStaysInItsTile: an infinite or NaN input affects only
// the outputs that depend on it. On the direct paths (and in ONNX's
// definition) those are the outputs whose 3×3 window reads it: there,
// +Inf times a positive filter is +Inf and NaN stays NaN, through a fused
// Relu too, and every other output stays finite. F(2×2) keeps that (its
// transforms skip their zero coefficients and their supports match the
// windows). F(4×4) mixes every input of a tile's 6×6 patch into every
// output of the tile with coefficients that cancel in exact arithmetic,
// and Inf−Inf is NaN: the value spreads to the whole 4×4 tile(s) whose
// patch holds it, in every output channel, and no further. That is the
// documented difference of the Winograd path (docs/architecture.md).
func TestWinogradInfStaysInItsTile(t *testing.T) {
	if !defaultTaps().HasWinograd() {
		t.Skip("no Winograd kernels on this CPU")
	}
	const iy, ix, size = 13, 13, 28 // channel 0, pads 1
	window := func(i int) bool {
		oy, ox := i/size%size, i%size
		return oy-1 <= iy && iy <= oy+1 && ox-1 <= ix && ix <= ox+1
	}
	// tile: the 4×4 output tile's 6×6 input patch (rows 4t-1 … 4t+4)
	// holds the value.
	tile := func(i int) bool {
		ty, tx := i/size%size/4, i%size/4
		return 4*ty-1 <= iy && iy <= 4*ty+4 && 4*tx-1 <= ix && ix <= 4*tx+4
	}
	for _, bad := range []float32{float32(math.Inf(1)), float32(math.NaN())} {
		r := rand.New(rand.NewPCG(43, 44))
		tc := winoCase{1, 64, size, size, 64, [4]int{1, 1, 1, 1}}
		p := tc.operands(r)
		p.act = &fusedAct{op: "Relu", clamp: true, lo: 0, hi: float32(math.Inf(1))}
		for i := range p.w { // positive filters: a window reading +Inf gives +Inf
			p.w[i] = float32(math.Abs(float64(p.w[i]))) + 0.01
		}
		p.x[iy*size+ix] = bad
		direct := winoDirect(p, 1)
		for _, c := range []struct {
			name    string
			got     []float32
			depends func(int) bool
		}{
			{"direct", direct, window},
			{"F(2×2)", winoForced(p, 2, 1), window},
			{"F(4×4)", winoForced(p, 4, 1), tile},
		} {
			n := 0
			for i, v := range c.got {
				if c.depends(i) {
					if math.IsInf(float64(bad), 1) && window(i) && !math.IsInf(float64(v), 1) && !math.IsNaN(float64(v)) {
						t.Errorf("x = %v, %s: y[%d] = %v, its window reads +Inf", bad, c.name, i, v)
					}
					continue
				}
				if d := math.Abs(float64(v - direct[i])); !(d <= 1e-3*(1+math.Abs(float64(direct[i])))) {
					if n == 0 {
						t.Errorf("x[0][%d][%d] = %v, %s: y[%d][%d][%d] = %v, direct path %v: it does not depend on the value",
							iy, ix, bad, c.name, i/(size*size), i/size%size, i%size, v, direct[i])
					}
					n++
				}
			}
			if n > 0 {
				t.Errorf("x = %v, %s: %d outputs that do not depend on it changed", bad, c.name, n)
			}
		}
	}
}

// TestWinogradLargeMagnitudes: F(4×4)'s input transform scales a 6×6
// patch by up to 100 before the products cancel, so inputs near float32's
// limit (1e37, with filters of 1e-3 whose direct outputs stay finite)
// overflow there; that is documented (docs/architecture.md). Inputs up to
// 1e33 stay finite and agree with the direct path, and F(2×2), which
// scales by at most 4, takes 1e37.
func TestWinogradLargeMagnitudes(t *testing.T) {
	if !defaultTaps().HasWinograd() {
		t.Skip("no Winograd kernels on this CPU")
	}
	for _, c := range []struct {
		m     int
		scale float32
	}{{4, 1e33}, {2, 1e33}, {2, 1e37}} {
		r := rand.New(rand.NewPCG(45, 46))
		tc := winoCase{1, 64, 28, 28, 64, [4]int{1, 1, 1, 1}}
		p := tc.operands(r)
		for i := range p.x {
			p.x[i] *= c.scale
		}
		for i := range p.w {
			p.w[i] *= 0.001
		}
		direct := winoDirect(p, 1)
		got := winoForced(p, c.m, 1)
		worst := 0.0
		for i, v := range got {
			d := float64(direct[i])
			if math.IsInf(d, 0) || math.IsNaN(d) {
				t.Fatalf("direct path overflowed at %d: %v", i, d)
			}
			worst = max(worst, math.Abs(float64(v)-d)/(float64(c.scale)*1e-3))
			if math.IsNaN(worst) || math.IsInf(float64(v), 0) {
				t.Fatalf("F(%d×%d), |x| up to %g: y[%d] = %v, direct path %v", c.m, c.m, c.scale, i, v, d)
			}
		}
		if worst > 1e-3 {
			t.Errorf("F(%d×%d), |x| up to %g: error %.3g of |x|·|w|", c.m, c.m, c.scale, worst)
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

// TestWinogradManyBlocks runs forced Winograd on problems of several
// blocks of tile rows (blocks spanning images, a short last block) on 1,
// 2 and 3 threads: whole blocks per thread (winoBlocksStage) when there
// are blocks enough, the staged regions otherwise.
func TestWinogradManyBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(55, 56))
	for _, tc := range []winoCase{
		{4, 96, 20, 20, 96, [4]int{1, 1, 1, 1}},
		{6, 200, 12, 12, 200, [4]int{2, 0, 1, 2}},
		{3, 160, 15, 9, 150, [4]int{0, 1, 0, 1}},
	} {
		p, ref := tc.problem(r)
		for _, m := range []int{2, 4} {
			wp := newWinoPlan(&p, m, defaultGemm())
			blocks := (wp.tileRows + wp.rows - 1) / wp.rows
			for _, threads := range []int{1, 2, 3} {
				got := winoForced(p, m, threads)
				if e := maxErr(got, ref); !(e <= winoTolerance(m)) {
					t.Fatalf("%+v F%d (%d blocks) threads=%d: error %.3g of the rms", tc, m, blocks, threads, e)
				}
			}
			if blocks < 2 {
				t.Errorf("%+v F%d: %d block, the case does not test several", tc, m, blocks)
			}
		}
	}
}
