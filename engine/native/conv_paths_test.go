package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/engine/native/internal/simd"
	"github.com/inferd/inferd/internal/testutil"
)

// TestConvAlgorithms runs every 2-D convolution algorithm (packed im2col,
// implicit GEMM, depthwise) directly, whatever the planner would choose,
// with and without a fused residual and activation, against the naive
// reference, over geometries with strides, dilations, asymmetric pads,
// groups, and images small enough for a band to span several.
func TestConvAlgorithms(t *testing.T) {
	type geo struct {
		n, c, h, w, m, kh, kw, group int
		stride, dil                  [2]int
		pads                         [4]int // top, left, bottom, right
	}
	geos := []geo{
		{3, 8, 9, 7, 16, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{2, 8, 6, 6, 6, 3, 2, 2, [2]int{1, 2}, [2]int{2, 1}, [4]int{2, 0, 1, 1}},
		{3, 5, 11, 13, 9, 3, 3, 1, [2]int{2, 2}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{2, 4, 12, 10, 7, 5, 5, 1, [2]int{2, 3}, [2]int{1, 1}, [4]int{2, 2, 2, 1}},
		{1, 16, 20, 40, 33, 1, 1, 1, [2]int{1, 1}, [2]int{1, 1}, [4]int{0, 0, 0, 0}},
		{4, 6, 8, 8, 12, 1, 1, 1, [2]int{2, 2}, [2]int{1, 1}, [4]int{0, 0, 0, 0}},
		{3, 6, 7, 9, 10, 1, 1, 2, [2]int{1, 1}, [2]int{1, 1}, [4]int{0, 0, 0, 0}},
		{1, 20, 3, 50, 17, 1, 1, 1, [2]int{1, 1}, [2]int{1, 1}, [4]int{0, 0, 0, 0}},
		{32, 3, 8, 8, 16, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{2, 3, 30, 30, 10, 7, 7, 1, [2]int{2, 2}, [2]int{1, 1}, [4]int{3, 3, 3, 3}},
		{2, 4, 9, 9, 8, 3, 3, 1, [2]int{1, 1}, [2]int{2, 2}, [4]int{0, 2, 2, 0}},
		{2, 12, 9, 11, 12, 3, 3, 12, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{2, 6, 12, 17, 12, 3, 3, 6, [2]int{2, 2}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{1, 4, 7, 70, 4, 5, 3, 4, [2]int{1, 2}, [2]int{1, 2}, [4]int{2, 1, 2, 2}},
		{3, 8, 5, 5, 8, 3, 3, 8, [2]int{1, 1}, [2]int{1, 1}, [4]int{0, 0, 0, 0}},
		// Rows a multiple of 8 wide: segmented (conv_segments.go), with
		// partial row and column tiles, groups, strides and depth blocks.
		{2, 5, 16, 16, 13, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{3, 4, 6, 8, 10, 3, 3, 2, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{2, 3, 15, 16, 9, 3, 3, 1, [2]int{2, 2}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{2, 40, 8, 8, 17, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{1, 2, 5, 18, 8, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, [4]int{0, 0, 0, 0}},
		// Rows of 7 and 14 with garbage columns: gathered (conv_gather.go),
		// bands across images, depth and row blocks, groups, strides.
		{3, 40, 7, 7, 136, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{2, 8, 14, 14, 16, 3, 3, 1, [2]int{2, 2}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{5, 8, 7, 7, 10, 3, 3, 2, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{1, 4, 4, 4, 8, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}}, // one narrow tile
		// One image of 4×4 or 7×7 at three threads: fewer column tiles
		// than threads, so the output channels are cut in blocks of whole
		// row panels (rowBlocks), one with a partial panel.
		{1, 96, 4, 4, 96, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		{1, 64, 7, 7, 100, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
		// Two groups of a 7×7 image at three threads: unpacked ungathered
		// products over fewer bands than threads, cut by blocks of output
		// channels (productBands) in each group.
		{1, 128, 7, 7, 160, 3, 3, 2, [2]int{1, 1}, [2]int{1, 1}, [4]int{1, 1, 1, 1}},
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, tc := range geos {
		oh := (tc.h+tc.pads[0]+tc.pads[2]-(tc.kh-1)*tc.dil[0]-1)/tc.stride[0] + 1
		ow := (tc.w+tc.pads[1]+tc.pads[3]-(tc.kw-1)*tc.dil[1]-1)/tc.stride[1] + 1
		g := geometry{
			in: []int{tc.h, tc.w}, out: []int{oh, ow}, kernel: []int{tc.kh, tc.kw},
			stride: tc.stride[:], dilation: tc.dil[:],
			padBegin: []int{tc.pads[0], tc.pads[1]}, padEnd: []int{tc.pads[2], tc.pads[3]},
		}
		cg := tc.c / tc.group
		x := randFloats(r, tc.n*tc.c*tc.h*tc.w)
		w := randFloats(r, tc.m*cg*tc.kh*tc.kw)
		bias := randFloats(r, tc.m)
		residual := randFloats(r, tc.n*tc.m*oh*ow)
		ref := naiveConv2DPads(x, w, bias, tc.n, tc.c, tc.h, tc.w, tc.m, tc.kh, tc.kw, tc.group, tc.stride, tc.dil, tc.pads, oh, ow)
		algos := map[string]func(rc *runCtx, p *convProblem){}
		if cg == 1 && tc.group > 1 {
			algos["depthwise"] = func(rc *runCtx, p *convProblem) { convDepthwise(rc, p, newConvPlan(p, algoDepthwise, 1)) }
		} else {
			algos["im2col"] = func(rc *runCtx, p *convProblem) { convGemm(rc, p, nil) }
			algos["implicit"] = func(rc *runCtx, p *convProblem) { convImplicit(rc, p, nil, newConvPlan(p, algoImplicit, 1)) }
			algos["implicit/unshifted"] = func(rc *runCtx, p *convProblem) {
				cp := newConvPlan(p, algoImplicit, 1)
				cp.planImplicit(p, true, false)
				convImplicit(rc, p, nil, cp)
			}
			algos["implicit/ungathered"] = func(rc *runCtx, p *convProblem) {
				cp := newConvPlan(p, algoImplicit, 1)
				cp.gather = false
				convImplicit(rc, p, nil, cp)
			}
			mg, kg := tc.m/tc.group, cg*tc.kh*tc.kw
			if tc.kh == 1 && tc.kw == 1 && tc.stride == [2]int{1, 1} && tc.pads == [4]int{} {
				algos["pointwise"] = func(rc *runCtx, p *convProblem) { convPointwise(rc, p, nil, newConvPlan(p, algoPointwise, 1)) }
			}
			algos["implicit/packed"] = func(rc *runCtx, p *convProblem) {
				var packed []gemmOperand
				for grp := range tc.group {
					packed = append(packed, prepackA(rowMajor(w[grp*mg*kg:], kg, false), mg, kg))
				}
				convImplicit(rc, p, packed, newConvPlan(p, algoImplicit, 1))
			}
		}
		for name, run := range algos {
			for _, fusion := range []string{"plain", "residual+relu6", "halve"} {
				for _, threads := range []int{1, 3} {
					for kernels := range forEachKernel(t) {
						t.Run(fmt.Sprintf("%v/%s/%s/threads=%d/%s", tc, name, fusion, threads, kernels), func(t *testing.T) {
							want := append([]float32(nil), ref...)
							p := convProblem{geo: g, batch: tc.n, c: tc.c, m: tc.m, group: tc.group,
								x: x, w: w, bias: bias, y: make([]float32, len(ref))}
							testFusion(&p, want, residual, fusion)
							run(&runCtx{threads: threads}, &p)
							for i := range want {
								if d := math.Abs(float64(p.y[i] - want[i])); !(d <= 1e-4) {
									t.Fatalf("y[%d] = %v, want %v", i, p.y[i], want[i])
								}
							}
						})
					}
				}
			}
		}
	}
}

// naiveConv2DPads is naiveConv2D with asymmetric pads (top, left, bottom,
// right); the bottom and right pads only show through oh and ow.
func naiveConv2DPads(x, w, b []float32, n, c, h, wd, m, kh, kw, group int, stride, dil [2]int, pads [4]int, oh, ow int) []float32 {
	return naiveConv2D(x, w, b, n, c, h, wd, m, kh, kw, group, stride, dil, [2]int{pads[0], pads[1]}, oh, ow)
}

// forEachKernel forces, in turn, every GEMM kernel the CPU runs with the
// tap kernel of the same rank (the last one when there are fewer), and
// yields their names; the fastest are restored at the end.
func forEachKernel(t *testing.T) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		defer func() { forcedGemm, forcedTaps = nil, nil }()
		taps := simd.TapKernels()
		for i, g := range gemmImpls() {
			forcedGemm, forcedTaps = g, taps[min(i, len(taps)-1)]
			if !yield(g.kern.Name + "+" + forcedTaps.Name) {
				return
			}
		}
	}
}

// BenchmarkDepthwise measures the depthwise 3×3 layers of MobileNetV2
// (bias and Relu6 fused), per image.
func BenchmarkDepthwise(b *testing.B) {
	for _, tc := range []struct{ c, hw, stride int }{{32, 112, 1}, {96, 112, 2}, {144, 56, 1}, {384, 14, 1}, {960, 7, 1}} {
		for _, batch := range []int{1, 32} {
			b.Run(fmt.Sprintf("%dx%dx%d/s%d/batch=%d", tc.c, tc.hw, tc.hw, tc.stride, batch), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				oh := (tc.hw+2-3)/tc.stride + 1
				p := convProblem{
					geo: geometry{in: []int{tc.hw, tc.hw}, out: []int{oh, oh}, kernel: []int{3, 3},
						stride: []int{tc.stride, tc.stride}, dilation: []int{1, 1}, padBegin: []int{1, 1}, padEnd: []int{1, 1}},
					batch: batch, c: tc.c, m: tc.c, group: tc.c,
					x: randFloats(r, batch*tc.c*tc.hw*tc.hw), w: randFloats(r, tc.c*9), bias: randFloats(r, tc.c),
					y:   make([]float32, batch*tc.c*oh*oh),
					act: &fusedAct{op: "Clip", clamp: true, lo: 0, hi: 6},
				}
				rc := &runCtx{threads: 1}
				cp := newConvPlan(&p, algoDepthwise, 1)
				convDepthwise(rc, &p, cp)
				cpu := testutil.ProcessCPU()
				for b.Loop() {
					convDepthwise(rc, &p, cp)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch)/1e3, "µs/image")
				b.ReportMetric(float64((testutil.ProcessCPU()-cpu).Nanoseconds())/float64(b.N*batch)/1e3, "cpu-µs/image")
			})
		}
	}
}

// TestConvSegmentsPlanned checks which implicit convolutions run
// segmented: rows a multiple of simd.SegWidth wide up to segMaxWidth, on
// a kernel with segment loads; with strides of 1, on shifted planes.
func TestConvSegmentsPlanned(t *testing.T) {
	for _, tc := range []struct {
		hw   int
		want bool
	}{{8, true}, {16, true}, {32, false}, {7, false}, {14, false}, {56, false}} {
		for kernels := range forEachKernel(t) {
			p := convProblem{geo: geometry{in: []int{tc.hw, tc.hw}, out: []int{tc.hw, tc.hw}, kernel: []int{3, 3},
				stride: []int{1, 1}, dilation: []int{1, 1}, padBegin: []int{1, 1}, padEnd: []int{1, 1}},
				batch: 2, c: 16, m: 32, group: 1}
			cp := newConvPlan(&p, algoImplicit, 1)
			if want := tc.want && cp.gemm.kern.HasSegments(); cp.segments != want || cp.shifted != want {
				t.Errorf("%d×%d on %s: segments %v, shifted %v, want %v", tc.hw, tc.hw, kernels, cp.segments, cp.shifted, want)
			}
		}
	}
}

// TestConvGatherPlanned checks which implicit convolutions gather their B
// panels: rows with garbage columns up to gatherMaxWidth wide, not
// segmented, on the AVX-512 kernels.
func TestConvGatherPlanned(t *testing.T) {
	for _, tc := range []struct {
		hw, stride int
		want       bool
	}{{7, 1, true}, {14, 1, true}, {14, 2, true}, {8, 1, false}, {28, 1, false}, {56, 1, false}} {
		for kernels := range forEachKernel(t) {
			oh := (tc.hw-1)/tc.stride + 1
			p := convProblem{geo: geometry{in: []int{tc.hw, tc.hw}, out: []int{oh, oh}, kernel: []int{3, 3},
				stride: []int{tc.stride, tc.stride}, dilation: []int{1, 1}, padBegin: []int{1, 1}, padEnd: []int{1, 1}},
				batch: 2, c: 16, m: 32, group: 1}
			cp := newConvPlan(&p, algoImplicit, 1)
			capable := cp.gemm.nr == simd.GatherWidth && cp.taps.HasGather()
			// 8×8 has a garbage column too, but runs segmented when it can.
			want := capable && (tc.want || tc.hw == 8 && !cp.segments)
			if cp.gather != want {
				t.Errorf("%d×%d stride %d on %s: gather %v, want %v", tc.hw, tc.hw, tc.stride, kernels, cp.gather, want)
			}
		}
	}
}

// TestRowBlocks checks how a product's output rows are cut for threads
// that its items (column bands × groups) leave idle: whole panels of mr
// rows, as many blocks as idle threads need and its work is worth.
func TestRowBlocks(t *testing.T) {
	tests := []struct {
		name                         string
		threads, items, m, mr, flops int
		blocks, per                  int
	}{
		{"one thread", 1, 1, 96, 8, 64 * minTaskFlops, 1, 96},
		{"items for every thread", 2, 2, 96, 8, 64 * minTaskFlops, 1, 96},
		{"one item, two threads", 2, 1, 96, 8, 4 * minTaskFlops, 2, 48},
		{"one item, work for one task", 2, 1, 96, 8, minTaskFlops, 1, 96},
		{"partial last panel", 2, 1, 100, 8, 4 * minTaskFlops, 2, 56},
		{"fewer panels than threads", 4, 1, 12, 8, 64 * minTaskFlops, 2, 8},
		{"two items, three threads", 3, 2, 64, 8, 64 * minTaskFlops, 2, 32},
		{"one panel", 2, 1, 8, 8, 64 * minTaskFlops, 1, 8},
	}
	for _, tt := range tests {
		blocks, per := rowBlocks(tt.threads, tt.items, tt.m, tt.mr, tt.flops)
		if blocks != tt.blocks || per != tt.per {
			t.Errorf("%s: rowBlocks = %d blocks of %d rows, want %d of %d", tt.name, blocks, per, tt.blocks, tt.per)
		}
	}
}

// TestOutputBlocks checks how a product over few bands is cut by output
// channels: whole panels of mr, about want items in all, no more than its
// panels or its flops (parallelTasks) allow.
func TestOutputBlocks(t *testing.T) {
	tests := []struct {
		want, items, m, mr, flops int
		blocks, per               int
	}{
		{8, 1, 512, 8, 300 << 20, 8, 64},         // ResNet-18's 7×7 layers at two threads
		{8, 2, 512, 8, 300 << 20, 4, 128},        // two bands (or groups) already
		{8, 1, 100, 8, 300 << 20, 7, 16},         // six blocks of 16, a last one of 4 (a partial panel)
		{8, 1, 20, 8, 300 << 20, 3, 8},           // three panels only
		{8, 1, 512, 8, 3 * minTaskFlops, 3, 176}, // the work is worth three tasks
		{8, 1, 512, 8, minTaskFlops / 2, 1, 512}, // nor even two
		{12, 5, 64, 16, 300 << 20, 2, 32},        // three blocks of 22, rounded to whole panels: two of 32
	}
	for _, tc := range tests {
		blocks, per := outputBlocks(tc.want, tc.items, tc.m, tc.mr, tc.flops)
		if blocks != tc.blocks || per != tc.per {
			t.Errorf("outputBlocks(%d, %d, %d, %d, %d) = %d, %d; want %d, %d", tc.want, tc.items, tc.m, tc.mr, tc.flops, blocks, per, tc.blocks, tc.per)
		}
	}
}
