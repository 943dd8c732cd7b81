package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/tensor"
)

// naiveConv2D is the reference convolution (explicit pads only).
func naiveConv2D(x, w, b []float32, n, c, h, wd, m, kh, kw, group int, stride, dil, pads [2]int, oh, ow int) []float32 {
	y := make([]float32, n*m*oh*ow)
	cg, mg := c/group, m/group
	for in := range n {
		for oc := range m {
			g := oc / mg
			for oy := range oh {
				for ox := range ow {
					var s float64
					if b != nil {
						s = float64(b[oc])
					}
					for ic := range cg {
						for i := range kh {
							for j := range kw {
								iy, ix := oy*stride[0]-pads[0]+i*dil[0], ox*stride[1]-pads[1]+j*dil[1]
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								xv := x[((in*c+g*cg+ic)*h+iy)*wd+ix]
								s += float64(xv) * float64(w[((oc*cg+ic)*kh+i)*kw+j])
							}
						}
					}
					y[((in*m+oc)*oh+oy)*ow+ox] = float32(s)
				}
			}
		}
	}
	return y
}

// TestConvPaths compares the im2col, direct 1×1 and depthwise paths, each
// with per-task and per-product parallelism, against the naive reference.
func TestConvPaths(t *testing.T) {
	tests := []struct {
		n, c, h, w, m, kh, kw, group int
		stride, dil, pads            [2]int
		bias                         bool
	}{
		{3, 8, 9, 7, 16, 3, 3, 1, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1}, true},
		{2, 8, 6, 6, 6, 3, 2, 2, [2]int{1, 2}, [2]int{2, 1}, [2]int{2, 0}, false},
		{2, 8, 7, 5, 16, 3, 3, 8, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, true},     // depthwise, multiplier 2
		{1, 6, 9, 9, 6, 5, 5, 6, [2]int{3, 2}, [2]int{1, 2}, [2]int{2, 3}, false},     // depthwise, strided
		{2, 16, 5, 4, 7, 1, 1, 1, [2]int{1, 1}, [2]int{1, 1}, [2]int{0, 0}, true},     // direct 1×1
		{1, 32, 20, 20, 64, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, true},  // large: parallel GEMM
		{4, 16, 16, 16, 32, 3, 3, 1, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, false}, // medium: parallel images
		{4, 3, 1, 30, 5, 1, 4, 1, [2]int{1, 3}, [2]int{1, 2}, [2]int{0, 2}, false},    // 1-D shaped
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range tests {
		for _, threads := range []int{1, 2, 3} {
			name := fmt.Sprintf("x%dx%dx%dx%d_w%dx%dx%d_g%d_s%v_d%v_p%v/threads=%d", tc.n, tc.c, tc.h, tc.w, tc.m, tc.kh, tc.kw, tc.group, tc.stride, tc.dil, tc.pads, threads)
			t.Run(name, func(t *testing.T) {
				x := randFloats(r, tc.n*tc.c*tc.h*tc.w)
				w := randFloats(r, tc.m*tc.c/tc.group*tc.kh*tc.kw)
				var b []float32
				inits := map[string]*tensor.Tensor{"w": tensor.MustFromSlice(w, tc.m, tc.c/tc.group, tc.kh, tc.kw)}
				ins := []string{"x", "w"}
				if tc.bias {
					b = randFloats(r, tc.m)
					inits["b"] = tensor.MustFromSlice(b, tc.m)
					ins = append(ins, "b")
				}
				n := node("Conv", ins, []string{"y"}, aInt("group", int64(tc.group)),
					aInts("strides", int64(tc.stride[0]), int64(tc.stride[1])),
					aInts("dilations", int64(tc.dil[0]), int64(tc.dil[1])),
					aInts("pads", int64(tc.pads[0]), int64(tc.pads[1]), int64(tc.pads[0]), int64(tc.pads[1])))
				oh := (tc.h+2*tc.pads[0]-(tc.kh-1)*tc.dil[0]-1)/tc.stride[0] + 1
				ow := (tc.w+2*tc.pads[1]-(tc.kw-1)*tc.dil[1]-1)/tc.stride[1] + 1
				want := naiveConv2D(x, w, b, tc.n, tc.c, tc.h, tc.w, tc.m, tc.kh, tc.kw, tc.group, tc.stride, tc.dil, tc.pads, oh, ow)
				xs := feeds("x", tensor.MustFromSlice(x, tc.n, tc.c, tc.h, tc.w))
				s := mustSession(t, opModel(13, n, xs, inits), threads)
				out := mustRun(t, s, xs)
				assertNear(t, out["y"], tensor.MustFromSlice(want, tc.n, tc.m, oh, ow), 1e-4)
			})
		}
	}
}

func TestConvZeroBatch(t *testing.T) {
	w := f32([]int{2, 1, 2, 2}, seq(8, 0, 1)...)
	out, err := runOp(t, 13, node("Conv", []string{"x", "w"}, []string{"y"}), feeds("x", tensor.New(tensor.Float32, 0, 1, 3, 3)), map[string]*tensor.Tensor{"w": w})
	if err != nil {
		t.Fatal(err)
	}
	if got := out["y"].Shape(); !equalInts(got, []int{0, 2, 2, 2}) {
		t.Fatalf("shape %v, want [0 2 2 2]", got)
	}
}

// BenchmarkConv measures each convolution algorithm on layers of
// ResNet-18 and MobileNetV2 (bias and Relu fused), one image, one thread.
func BenchmarkConv(b *testing.B) {
	layers := []struct {
		name                     string
		c, hw, m, k, stride, pad int
	}{
		{"resnet-conv1-7x7s2-3to64@224", 3, 224, 64, 7, 2, 3},
		{"resnet-3x3-64@56", 64, 56, 64, 3, 1, 1},
		{"resnet-3x3-128@28", 128, 28, 128, 3, 1, 1},
		{"resnet-3x3-256@14", 256, 14, 256, 3, 1, 1},
		{"resnet-3x3-512@7", 512, 7, 512, 3, 1, 1},
		{"mobilenet-1x1-24to144@56", 24, 56, 144, 1, 1, 0},
		{"mobilenet-1x1-960to160@7", 960, 7, 160, 1, 1, 0},
		{"mobilenet-1x1-64to384@14", 64, 14, 384, 1, 1, 0},
		{"yolo-3x3-64@8", 64, 8, 64, 3, 1, 1},
		{"yolo-3x3-96@4", 96, 4, 96, 3, 1, 1},
	}
	algos := []struct {
		name string
		algo convAlgo
		// wide runs the last column tiles on the full kernel.
		wide bool
	}{{"im2col", algoIm2col, false}, {"implicit", algoImplicit, false}, {"implicit-wide", algoImplicit, true},
		{"pointwise", algoPointwise, false}, {"pointwise-wide", algoPointwise, true}}
	for _, ly := range layers {
		for _, a := range algos {
			if a.algo == algoPointwise && ly.k != 1 {
				continue
			}
			b.Run(ly.name+"/"+a.name, func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				oh := (ly.hw+2*ly.pad-ly.k)/ly.stride + 1
				p := convProblem{
					geo: geometry{in: []int{ly.hw, ly.hw}, out: []int{oh, oh}, kernel: []int{ly.k, ly.k},
						stride: []int{ly.stride, ly.stride}, dilation: []int{1, 1},
						padBegin: []int{ly.pad, ly.pad}, padEnd: []int{ly.pad, ly.pad}},
					batch: 1, c: ly.c, m: ly.m, group: 1,
					x: randFloats(r, ly.c*ly.hw*ly.hw), w: randFloats(r, ly.m*ly.c*ly.k*ly.k), bias: randFloats(r, ly.m),
					y:   make([]float32, ly.m*oh*oh),
					act: &fusedAct{op: "Relu", clamp: true, lo: 0, hi: float32(math.Inf(1))},
				}
				kg := ly.c * ly.k * ly.k
				packed := []gemmOperand{prepackA(rowMajor(p.w, kg, false), ly.m, kg)}
				cp := newConvPlan(&p, a.algo, 1)
				if a.wide {
					impl, kern := *cp.gemm, *cp.gemm.kern
					kern.Narrow = nil
					impl.kern = &kern
					cp.gemm = &impl
				}
				rc := &runCtx{threads: 1}
				cpu := testutil.ProcessCPU()
				for b.Loop() {
					cp.run(rc, &p, packed)
				}
				flops := 2 * float64(ly.m*kg*oh*oh) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if c := (testutil.ProcessCPU() - cpu).Seconds(); c > 0 {
					b.ReportMetric(flops/c/1e9, "cpu-GFLOP/s")
				}
			})
		}
	}
}
