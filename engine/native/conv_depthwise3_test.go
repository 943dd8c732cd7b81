package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDepthwiseDirect runs the depthwise convolutions the direct 3×3
// kernel takes (stride 1 and 2, pad 1) over planes around the vector
// width, odd sizes and batches, with every tap kernel (the direct kernel
// of the same width, or the tap layout when there is none), against the
// naive reference; and checks which geometries it takes.
func TestDepthwiseDirect(t *testing.T) {
	type shape struct{ n, c, h, w, stride int }
	shapes := []shape{
		{1, 1, 1, 1, 1}, {2, 3, 7, 7, 1}, {1, 5, 14, 14, 1}, {3, 4, 5, 17, 1}, {1, 2, 33, 9, 1}, {2, 7, 6, 56, 1},
		{1, 1, 1, 1, 2}, {2, 3, 7, 7, 2}, {1, 5, 14, 14, 2}, {3, 4, 5, 17, 2}, {1, 2, 33, 9, 2}, {2, 7, 6, 65, 2},
		{32, 3, 4, 4, 1}, {32, 3, 4, 4, 2},
	}
	r := rand.New(rand.NewPCG(31, 32))
	relu6 := &fusedAct{op: "Clip", clamp: true, lo: 0, hi: 6}
	for _, sh := range shapes {
		oh, ow := (sh.h-1)/sh.stride+1, (sh.w-1)/sh.stride+1
		g := geometry{in: []int{sh.h, sh.w}, out: []int{oh, ow}, kernel: []int{3, 3}, stride: []int{sh.stride, sh.stride},
			dilation: []int{1, 1}, padBegin: []int{1, 1}, padEnd: []int{1, 1}}
		x, w := randFloats(r, sh.n*sh.c*sh.h*sh.w), randFloats(r, sh.c*9)
		bias, residual := randFloats(r, sh.c), randFloats(r, sh.n*sh.c*oh*ow)
		ref := naiveConv2D(x, w, bias, sh.n, sh.c, sh.h, sh.w, sh.c, 3, 3, sh.c, [2]int{sh.stride, sh.stride}, [2]int{1, 1}, [2]int{1, 1}, oh, ow)
		for _, fusion := range []string{"relu6", "residual+relu6"} {
			for _, threads := range []int{1, 2} {
				for kernels := range forEachKernel(t) {
					t.Run(fmt.Sprintf("%v/%s/threads=%d/%s", sh, fusion, threads, kernels), func(t *testing.T) {
						p := convProblem{geo: g, batch: sh.n, c: sh.c, m: sh.c, group: sh.c, x: x, w: w, bias: bias,
							y: make([]float32, len(ref)), act: relu6}
						want := append([]float32(nil), ref...)
						if fusion == "residual+relu6" {
							p.residual = residual
							for i := range want {
								want[i] += residual[i]
							}
						}
						for i := range want {
							want[i] = max(0, min(6, want[i]))
						}
						convDepthwise(&runCtx{threads: threads}, &p, newConvPlan(&p, algoDepthwise, threads))
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

// TestDirectDepthwiseTakes checks which geometries the direct kernel
// takes: 3×3, stride 1 or 2 on both axes, dilation 1, pad 1 everywhere,
// one output channel per input channel.
func TestDirectDepthwiseTakes(t *testing.T) {
	base := func() convProblem {
		return convProblem{geo: geometry{in: []int{8, 8}, out: []int{8, 8}, kernel: []int{3, 3}, stride: []int{1, 1},
			dilation: []int{1, 1}, padBegin: []int{1, 1}, padEnd: []int{1, 1}}, batch: 1, c: 4, m: 4, group: 4}
	}
	tests := []struct {
		name string
		edit func(p *convProblem)
		want bool
	}{
		{"stride 1", func(*convProblem) {}, true},
		{"stride 2", func(p *convProblem) { p.geo.stride, p.geo.out = []int{2, 2}, []int{4, 4} }, true},
		{"stride 1×2", func(p *convProblem) { p.geo.stride, p.geo.out = []int{1, 2}, []int{8, 4} }, false},
		{"stride 3", func(p *convProblem) { p.geo.stride, p.geo.out = []int{3, 3}, []int{3, 3} }, false},
		{"dilation 2", func(p *convProblem) { p.geo.dilation, p.geo.out = []int{2, 2}, []int{6, 6} }, false},
		{"no pad", func(p *convProblem) { p.geo.padBegin, p.geo.padEnd, p.geo.out = []int{0, 0}, []int{0, 0}, []int{6, 6} }, false},
		{"pad end 0", func(p *convProblem) { p.geo.padEnd, p.geo.out = []int{0, 0}, []int{7, 7} }, false},
		{"5×5", func(p *convProblem) {
			p.geo.kernel, p.geo.padBegin, p.geo.padEnd = []int{5, 5}, []int{2, 2}, []int{2, 2}
		}, false},
		{"multiplier 2", func(p *convProblem) { p.m = 8 }, false},
	}
	for _, tc := range tests {
		p := base()
		tc.edit(&p)
		cp := newConvPlan(&p, algoDepthwise, 1)
		if got := directDepthwise(&p, cp) != nil; got != tc.want {
			t.Errorf("%s: direct kernel %v, want %v", tc.name, got, tc.want)
		}
	}
}

// BenchmarkDepthwiseDirect measures the depthwise layers of MobileNetV2
// (bias and Relu6 fused, one thread) through the direct kernel and
// through the tap layout, per image.
func BenchmarkDepthwiseDirect(b *testing.B) {
	layers := []struct{ c, hw, stride int }{{32, 112, 1}, {96, 112, 2}, {144, 56, 1}, {144, 56, 2},
		{192, 28, 1}, {192, 28, 2}, {384, 14, 1}, {576, 14, 1}, {576, 14, 2}, {960, 7, 1}}
	for _, ly := range layers {
		for _, batch := range []int{1, 32} {
			for _, path := range []string{"taps", "direct"} {
				b.Run(fmt.Sprintf("%dx%d/s%d/batch=%d/%s", ly.c, ly.hw, ly.stride, batch, path), func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 2))
					oh := (ly.hw-1)/ly.stride + 1
					p := convProblem{
						geo: geometry{in: []int{ly.hw, ly.hw}, out: []int{oh, oh}, kernel: []int{3, 3},
							stride: []int{ly.stride, ly.stride}, dilation: []int{1, 1}, padBegin: []int{1, 1}, padEnd: []int{1, 1}},
						batch: batch, c: ly.c, m: ly.c, group: ly.c,
						x: randFloats(r, batch*ly.c*ly.hw*ly.hw), w: randFloats(r, ly.c*9), bias: randFloats(r, ly.c),
						y: make([]float32, batch*ly.c*oh*oh), act: &fusedAct{op: "Clip", clamp: true, lo: 0, hi: 6},
					}
					rc := &runCtx{threads: 1}
					cp := newConvPlan(&p, algoDepthwise, 1)
					run := func() { convDepthwiseTaps(rc, &p, cp) }
					if path == "direct" {
						k := directDepthwise(&p, cp)
						run = func() { convDepthwiseDirect3(rc, &p, cp, k) }
					}
					run()
					for b.Loop() {
						run()
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch)/1e3, "µs/image")
				})
			}
		}
	}
}
