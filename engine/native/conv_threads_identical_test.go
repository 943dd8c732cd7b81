package native

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestConvThreadsBitIdentical runs fused Conv+bias+residual Add+Relu
// layers on small planes (few bands: productBands cuts them by output
// channels) on 2-4 threads and requires the one-thread outputs bit for bit,
// on every GEMM kernel.
func TestConvThreadsBitIdentical(t *testing.T) {
	type geo struct{ n, c, h, w, m, k, group, stride, pad int }
	geos := []geo{
		{1, 64, 7, 7, 100, 3, 1, 1, 1},
		{1, 128, 7, 7, 160, 3, 2, 1, 1},
		{2, 32, 5, 5, 36, 3, 4, 1, 1},
		{1, 96, 4, 4, 96, 3, 1, 1, 1},
		{1, 48, 3, 9, 50, 3, 1, 1, 0},
		{3, 16, 14, 14, 24, 3, 1, 2, 1},
		{1, 256, 2, 2, 512, 1, 1, 1, 0},
		{1, 40, 1, 1, 24, 1, 1, 1, 0},
	}
	r := rand.New(rand.NewPCG(21, 22))
	for kname := range forEachKernel(t) {
		for _, g := range geos {
			t.Run(fmt.Sprintf("%s/%v", kname, g), func(t *testing.T) {
				oh := (g.h+2*g.pad-g.k)/g.stride + 1
				ow := (g.w+2*g.pad-g.k)/g.stride + 1
				nodes := []*onnx.Node{
					node("Conv", []string{"x", "w", "b"}, []string{"cv"}, aInts("kernel_shape", int64(g.k), int64(g.k)),
						aInts("strides", int64(g.stride), int64(g.stride)), aInts("pads", int64(g.pad), int64(g.pad), int64(g.pad), int64(g.pad)),
						aInt("group", int64(g.group))),
					node("Add", []string{"cv", "res"}, []string{"s"}),
					node("Relu", []string{"s"}, []string{"y"}),
				}
				xs, rs := []int{g.n, g.c, g.h, g.w}, []int{g.n, g.m, oh, ow}
				ws := []int{g.m, g.c / g.group, g.k, g.k}
				inits := map[string]*tensor.Tensor{
					"w": tensor.MustFromSlice(randFloats(r, tensor.NumElements(ws)), ws...),
					"b": tensor.MustFromSlice(randFloats(r, g.m), g.m),
				}
				ins := []onnx.ValueInfo{input("x", tensor.Float32, xs...), input("res", tensor.Float32, rs...)}
				in := feeds("x", tensor.MustFromSlice(randFloats(r, tensor.NumElements(xs)), xs...),
					"res", tensor.MustFromSlice(randFloats(r, tensor.NumElements(rs)), rs...))
				m := model(13, nodes, ins, []string{"y"}, inits)
				want := mustRun(t, mustSession(t, m, 1), in)["y"]
				for _, th := range []int{2, 3, 4} {
					s := mustSession(t, m, th)
					for range 2 {
						got := mustRun(t, s, in)["y"]
						if !sameTensor(got, want) {
							t.Fatalf("threads %d: differs from one thread (max diff %g)", th,
								maxAbsDiff(tensor.Data[float32](got), tensor.Data[float32](want)))
						}
					}
				}
			})
		}
	}
}
