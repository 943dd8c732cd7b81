package native

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
)

// BenchmarkConvBatch runs the layers of MobileNetV2, the digits CNN and
// small 3×3 layers at 16×16 and 32×32 (the segmented path) as
// the planner would (its algorithm, weights packed at load, Relu6 fused)
// at batch 1 and 32 on 1 and 2 threads, reporting GFLOP/s by wall time and
// by the process's CPU time: on a shared machine the second measures the
// kernel, the first the load. The cold variants run each time on caches
// flushed (by 16 MB of other writes, untimed) and an input just written,
// as a layer in a model finds them; "flipped-prefetch" runs a pointwise
// layer with the opposite of the planned input prefetch.
func BenchmarkConvBatch(b *testing.B) {
	layers := []struct {
		name                            string
		c, hw, m, k, stride, pad, group int
	}{
		{"mobilenet-3x3s2-3to32@224", 3, 224, 32, 3, 2, 1, 1},
		{"yolo-3x3s2-16to16@64", 16, 64, 16, 3, 2, 1, 1},
		{"db-3x3s2-16to32@32", 16, 32, 32, 3, 2, 1, 1},
		{"mobilenet-1x1-32to16@112", 32, 112, 16, 1, 1, 0, 1},
		{"mobilenet-1x1-96to24@56", 96, 56, 24, 1, 1, 0, 1},
		{"mobilenet-1x1-16to96@112", 16, 112, 96, 1, 1, 0, 1},
		{"mobilenet-1x1-24to144@56", 24, 56, 144, 1, 1, 0, 1},
		{"mobilenet-1x1-144to24@56", 144, 56, 24, 1, 1, 0, 1},
		{"mobilenet-1x1-384to64@14", 384, 14, 64, 1, 1, 0, 1},
		{"mobilenet-1x1-960to160@7", 960, 7, 160, 1, 1, 0, 1},
		{"mobilenet-dw3x3-144@56", 144, 56, 144, 3, 1, 1, 144},
		{"mobilenet-dw3x3s2-96@112", 96, 112, 96, 3, 2, 1, 96},
		{"mobilenet-dw3x3-960@7", 960, 7, 960, 3, 1, 1, 960},
		{"digits-3x3-16to32@8", 16, 8, 32, 3, 1, 1, 1},
		{"digits-3x3-1to16@8", 1, 8, 16, 3, 1, 1, 1},
		{"small-3x3-32to32@16", 32, 16, 32, 3, 1, 1, 1},
		{"small-3x3-32to64@32", 32, 32, 64, 3, 1, 1, 1},
		{"resnet-3x3-64@56", 64, 56, 64, 3, 1, 1, 1},
		{"resnet-3x3-128@28", 128, 28, 128, 3, 1, 1, 1},
		{"resnet-3x3s2-256to512@14", 256, 14, 512, 3, 2, 1, 1},
		{"resnet-3x3-256@14", 256, 14, 256, 3, 1, 1, 1},
		{"resnet-3x3-512@7", 512, 7, 512, 3, 1, 1, 1},
	}
	for _, ly := range layers {
		for _, batch := range []int{1, 32} {
			for _, threads := range []int{1, 2} {
				for _, algo := range []string{"planned", "im2col", "unsegmented", "unshifted", "ungathered", "flipped-prefetch", "cold", "cold-flipped-prefetch"} {
					if algo != "planned" && ly.group != 1 {
						continue
					}
					name := fmt.Sprintf("%s/batch=%d/threads=%d/%s", ly.name, batch, threads, algo)
					b.Run(name, func(b *testing.B) {
						r := rand.New(rand.NewPCG(1, 2))
						oh := (ly.hw+2*ly.pad-ly.k)/ly.stride + 1
						cg := ly.c / ly.group
						p := convProblem{
							geo: geometry{in: []int{ly.hw, ly.hw}, out: []int{oh, oh}, kernel: []int{ly.k, ly.k},
								stride: []int{ly.stride, ly.stride}, dilation: []int{1, 1},
								padBegin: []int{ly.pad, ly.pad}, padEnd: []int{ly.pad, ly.pad}},
							batch: batch, c: ly.c, m: ly.m, group: ly.group,
							x: randFloats(r, batch*ly.c*ly.hw*ly.hw), w: randFloats(r, ly.m*cg*ly.k*ly.k), bias: randFloats(r, ly.m),
							y:   make([]float32, batch*ly.m*oh*oh),
							act: &fusedAct{op: "Clip", clamp: true, lo: 0, hi: 6},
						}
						var packed []gemmOperand
						if ly.group == 1 {
							kg := cg * ly.k * ly.k
							packed = []gemmOperand{prepackA(rowMajor(p.w, kg, false), ly.m, kg)}
						}
						a := chooseConvAlgo(&p, packed != nil)
						if algo == "im2col" {
							a = algoIm2col
						}
						cp := newConvPlan(&p, a, threads)
						if algo == "unsegmented" || algo == "unshifted" {
							if !cp.segments || algo == "unshifted" && !cp.shifted {
								b.Skip("not segmented")
							}
							cp.planImplicit(&p, algo == "unshifted", false)
						}
						if strings.HasSuffix(algo, "flipped-prefetch") {
							if a != algoPointwise {
								b.Skip("not pointwise")
							}
							cp.prefetchB = !cp.prefetchB
						}
						if algo == "ungathered" {
							if !cp.gather {
								b.Skip("not gathered")
							}
							cp.gather = false
						}
						rc := &runCtx{threads: threads}
						cp.run(rc, &p, packed)
						cpu := testutil.ProcessCPU()
						cold := strings.HasPrefix(algo, "cold")
						if cold {
							benchConvCold(b, cp, rc, &p, packed)
						} else {
							for b.Loop() {
								cp.run(rc, &p, packed)
							}
						}
						flops := 2 * float64(batch*ly.m*cg*ly.k*ly.k*oh*oh) * float64(b.N)
						b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
						if c := (testutil.ProcessCPU() - cpu).Seconds(); c > 0 && !cold {
							b.ReportMetric(flops/c/1e9, "cpu-GFLOP/s")
						}
					})
				}
			}
		}
	}
}

// benchConvCold runs cp on p b.N times, each on caches flushed by writing
// 16 MB and an input just written, timing the runs alone.
func benchConvCold(b *testing.B, cp *convPlan, rc *runCtx, p *convProblem, packed []gemmOperand) {
	junk := make([]float32, 4<<20)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for i := range junk {
			junk[i]++
		}
		copy(p.x, p.x[1:])
		b.StartTimer()
		cp.run(rc, p, packed)
	}
}
