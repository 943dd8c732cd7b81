package native

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestExpandDepthwise checks that a 1×1 convolution fused with the
// depthwise 3×3 one after it computes, in bands and channel blocks, what
// the two steps compute apart, bit for bit: at both strides, with and
// without biases, odd plane sizes, bands of one output row, a depth over
// one packed block, small expansions that run as two steps, one and two
// threads (whose ranges of bands start without the rows of the band
// above), each band expanding its rows whole or starting from the rows
// the band above expanded.
func TestExpandDepthwise(t *testing.T) {
	defer func(v int) { expandDWBandFloats = v }(expandDWBandFloats)
	tests := []struct {
		name                string
		batch, c, m, h, w   int
		stride              int
		bias1, bias2        bool
		bandFloats, threads int
		fused               bool
	}{
		{name: "stride 2, small bands", batch: 2, c: 5, m: 48, h: 75, w: 75, stride: 2, bias1: true, bias2: true, bandFloats: 4096, threads: 1, fused: true},
		{name: "stride 1, small bands", batch: 1, c: 7, m: 40, h: 81, w: 80, stride: 1, bias1: true, bandFloats: 4096, threads: 1, fused: true},
		{name: "stride 2, even plane, default bands", batch: 1, c: 16, m: 96, h: 56, w: 56, stride: 2, bias2: true, threads: 1, fused: true},
		{name: "stride 1, two threads", batch: 3, c: 8, m: 48, h: 76, w: 75, stride: 1, bias1: true, bias2: true, bandFloats: 8192, threads: 2, fused: true},
		{name: "stride 2, two threads, odd plane", batch: 2, c: 6, m: 24, h: 67, w: 61, stride: 2, bias1: true, bandFloats: 2048, threads: 2, fused: true},
		{name: "stride 1, one-row bands", batch: 1, c: 9, m: 16, h: 33, w: 300, stride: 1, bias2: true, bandFloats: 4096, threads: 1, fused: true},
		{name: "depth over one packed block", batch: 1, c: 300, m: 24, h: 104, w: 104, stride: 2, bias1: true, bias2: true, bandFloats: 16384, threads: 1, fused: true},
		{name: "small expansion: two steps", batch: 2, c: 8, m: 16, h: 20, w: 20, stride: 1, bias1: true, bias2: true, threads: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expandDWBandFloats = 64 << 10
			if tc.bandFloats > 0 {
				expandDWBandFloats = tc.bandFloats
			}
			m, in := expandDWModel(tc.batch, tc.c, tc.m, tc.h, tc.w, tc.stride, tc.bias1, tc.bias2, false)
			plain := runExpandDW(t, m, in, tc.threads, false, false)
			for _, carry := range []bool{true, false} {
				expandDWCarryEnabled = carry
				fused := runExpandDW(t, m, in, tc.threads, true, tc.fused)
				expandDWCarryEnabled = true
				if !equalInts(fused.Shape(), plain.Shape()) {
					t.Fatalf("shape %v, unfused %v", fused.Shape(), plain.Shape())
				}
				g, want := tensor.Data[float32](fused), tensor.Data[float32](plain)
				for i := range want {
					if math.Float32bits(g[i]) != math.Float32bits(want[i]) {
						t.Fatalf("carry %v: y[%d] = %v, unfused %v", carry, i, g[i], want[i])
					}
				}
			}
		})
	}
}

// expandDWModel is an inverted residual's first half: a 1×1 convolution
// from c to m channels, Clip(0, 6), a depthwise 3×3 convolution of the
// stride with one value of padding, Clip(0, 6) (pooled when pool is set,
// so that the output is small); and its input.
func expandDWModel(batch, c, m, h, w, stride int, bias1, bias2, pool bool) (*onnx.Model, map[string]*tensor.Tensor) {
	r := rand.New(rand.NewPCG(uint64(c), uint64(m)))
	rt := func(shape ...int) *tensor.Tensor {
		return tensor.MustFromSlice(randFloats(r, tensor.NumElements(shape)), shape...)
	}
	inits := map[string]*tensor.Tensor{"w1": rt(m, c, 1, 1), "w2": rt(m, 1, 3, 3), "lo": f32(nil, 0), "hi": f32(nil, 6)}
	in1, in2 := []string{"x", "w1"}, []string{"e", "w2"}
	if bias1 {
		in1, inits["b1"] = append(in1, "b1"), rt(m)
	}
	if bias2 {
		in2, inits["b2"] = append(in2, "b2"), rt(m)
	}
	nodes := []*onnx.Node{
		node("Conv", in1, []string{"a"}),
		node("Clip", []string{"a", "lo", "hi"}, []string{"e"}),
		node("Conv", in2, []string{"d"}, aInt("group", int64(m)), aInts("pads", 1, 1, 1, 1), aInts("strides", int64(stride), int64(stride))),
		node("Clip", []string{"d", "lo", "hi"}, []string{"y"}),
	}
	x := rt(batch, c, h, w)
	out := "y"
	if pool {
		nodes, out = append(nodes, node("GlobalAveragePool", []string{"y"}, []string{"p"})), "p"
	}
	return model(14, nodes, []onnx.ValueInfo{input("x", tensor.Float32, x.Shape()...)}, []string{out}, inits), feeds("x", x)
}

// runExpandDW loads m with or without the pair's fusion, checks whether
// the pair became one step and ran in bands, and returns y.
func runExpandDW(t *testing.T, m *onnx.Model, in map[string]*tensor.Tensor, threads int, fuse, banded bool) *tensor.Tensor {
	t.Helper()
	defer func() { expandDWEnabled = true }()
	expandDWEnabled = fuse
	s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: threads})
	if err != nil {
		t.Fatal(err)
	}
	steps := s.(*session).plan.steps
	want := 2
	if fuse {
		want = 1
	}
	if len(steps) != want {
		t.Fatalf("%d steps, want %d", len(steps), want)
	}
	out, err := s.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := steps[0].kernel.(*expandDWKernel); ok {
		if su := k.setup.Load(); su == nil || su.fused != banded {
			t.Fatalf("setup %+v, want fused %v", su, banded)
		}
	}
	return out["y"]
}

// BenchmarkExpandDepthwise runs MobileNetV2's first expansions (the
// expanded tensor 4.8 MB and 1.8 MB an image) fused and as two steps.
func BenchmarkExpandDepthwise(b *testing.B) {
	shapes := []struct {
		name               string
		c, m, h, w, stride int
	}{
		{"16to96@112s2", 16, 96, 112, 112, 2},
		{"24to144@56s1", 24, 144, 56, 56, 1},
	}
	for _, sh := range shapes {
		for _, fuse := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/fused=%v", sh.name, fuse), func(b *testing.B) {
				m, in := expandDWModel(1, sh.c, sh.m, sh.h, sh.w, sh.stride, true, true, true)
				expandDWEnabled = fuse
				s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: 1})
				expandDWEnabled = true
				if err != nil {
					b.Fatal(err)
				}
				mustRun(b, s, in)
				b.ResetTimer()
				cpu := testutil.ProcessCPU()
				for range b.N {
					mustRun(b, s, in)
				}
				b.ReportMetric(float64(testutil.ProcessCPU()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}
