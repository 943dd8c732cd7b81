package native

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestFusion runs small graphs with and without the load-time rewrites
// and checks that the rewrites removed the nodes they should (and only
// those) without changing the outputs.
func TestFusion(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	w := func(shape ...int) *tensor.Tensor {
		return tensor.MustFromSlice(randFloats(r, tensor.NumElements(shape)), shape...)
	}
	positive := func(n int) *tensor.Tensor {
		v := randFloats(r, n)
		for i := range v {
			v[i] = v[i]*v[i] + 0.5
		}
		return tensor.MustFromSlice(v, n)
	}
	pads := aInts("pads", 1, 1, 1, 1)
	scalar := func(v float32) *tensor.Tensor { return tensor.MustFromSlice([]float32{v}) }
	bnInits := func(prefix string, c int) map[string]*tensor.Tensor {
		return map[string]*tensor.Tensor{prefix + "s": w(c), prefix + "b": w(c), prefix + "m": w(c), prefix + "v": positive(c)}
	}
	merge := func(ms ...map[string]*tensor.Tensor) map[string]*tensor.Tensor {
		out := map[string]*tensor.Tensor{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	tests := []struct {
		name    string
		nodes   []*onnx.Node
		inputs  map[string]*tensor.Tensor
		inits   map[string]*tensor.Tensor
		outputs []string
		steps   int // after fusion
	}{
		{
			name: "conv+batchnorm+relu",
			nodes: []*onnx.Node{
				node("Conv", []string{"x", "w", "b"}, []string{"c"}, pads),
				node("BatchNormalization", []string{"c", "s", "bb", "m", "v"}, []string{"n"}, aFloat("epsilon", 1e-3)),
				node("Relu", []string{"n"}, []string{"y"}),
			},
			inputs:  feeds("x", w(2, 3, 9, 9)),
			inits:   map[string]*tensor.Tensor{"w": w(4, 3, 3, 3), "b": w(4), "s": w(4), "bb": w(4), "m": w(4), "v": positive(4)},
			outputs: []string{"y"}, steps: 1,
		},
		{
			name: "conv without bias+batchnorm",
			nodes: []*onnx.Node{
				node("Conv", []string{"x", "w"}, []string{"c"}),
				node("BatchNormalization", []string{"c", "s", "b", "m", "v"}, []string{"y"}),
			},
			inputs:  feeds("x", w(1, 3, 5, 6)),
			inits:   merge(map[string]*tensor.Tensor{"w": w(5, 3, 2, 2)}, bnInits("", 5)),
			outputs: []string{"y"}, steps: 1,
		},
		{
			name: "residual block",
			nodes: []*onnx.Node{
				node("Conv", []string{"x", "w1", "b1"}, []string{"a"}, pads),
				node("Relu", []string{"a"}, []string{"ar"}),
				node("Conv", []string{"ar", "w2"}, []string{"c"}, pads),
				node("Add", []string{"x", "c"}, []string{"s"}),
				node("Relu", []string{"s"}, []string{"y"}),
			},
			inputs:  feeds("x", w(2, 4, 7, 7)),
			inits:   map[string]*tensor.Tensor{"w1": w(4, 4, 3, 3), "b1": w(4), "w2": w(4, 4, 3, 3)},
			outputs: []string{"y"}, steps: 2,
		},
		{
			name: "residual that broadcasts",
			nodes: []*onnx.Node{
				node("Conv", []string{"x", "w"}, []string{"c"}, pads),
				node("Add", []string{"c", "r"}, []string{"s"}),
				node("Relu", []string{"s"}, []string{"y"}),
			},
			inputs:  feeds("x", w(2, 3, 6, 6), "r", w(1, 4, 1, 6)),
			inits:   map[string]*tensor.Tensor{"w": w(4, 3, 3, 3)},
			outputs: []string{"y"}, steps: 1,
		},
		{
			name: "depthwise+clip and pointwise+hardswish",
			nodes: []*onnx.Node{
				node("Conv", []string{"x", "dw", "db"}, []string{"d"}, pads, aInt("group", 6), aInts("strides", 2, 2)),
				node("Clip", []string{"d", "lo", "hi"}, []string{"dc"}),
				node("Conv", []string{"dc", "pw"}, []string{"p"}),
				node("HardSwish", []string{"p"}, []string{"y"}),
			},
			inputs:  feeds("x", w(2, 6, 11, 11)),
			inits:   map[string]*tensor.Tensor{"dw": w(6, 1, 3, 3), "db": w(6), "lo": scalar(0), "hi": scalar(0.3), "pw": w(5, 6, 1, 1)},
			outputs: []string{"y"}, steps: 2,
		},
		{
			name: "gemm+relu and gemm+sigmoid",
			nodes: []*onnx.Node{
				node("Gemm", []string{"x", "w1", "b1"}, []string{"h"}, aInt("transB", 1)),
				node("Relu", []string{"h"}, []string{"hr"}),
				node("Gemm", []string{"hr", "w2", "b2"}, []string{"o"}, aFloat("beta", 0.5)),
				node("Sigmoid", []string{"o"}, []string{"y"}),
			},
			inputs:  feeds("x", w(5, 7)),
			inits:   map[string]*tensor.Tensor{"w1": w(9, 7), "b1": w(9), "w2": w(9, 3), "b2": w(1, 3)},
			outputs: []string{"y"}, steps: 2,
		},
		{
			name: "intermediate is an output",
			nodes: []*onnx.Node{
				node("Conv", []string{"x", "w"}, []string{"c"}),
				node("Relu", []string{"c"}, []string{"y"}),
			},
			inputs:  feeds("x", w(1, 2, 4, 4)),
			inits:   map[string]*tensor.Tensor{"w": w(3, 2, 1, 1)},
			outputs: []string{"c", "y"}, steps: 2,
		},
		{
			name: "intermediate read twice",
			nodes: []*onnx.Node{
				node("Conv", []string{"x", "w"}, []string{"c"}),
				node("Relu", []string{"c"}, []string{"a"}),
				node("Add", []string{"a", "c"}, []string{"y"}),
			},
			inputs: feeds("x", w(1, 2, 4, 4)),
			inits:  map[string]*tensor.Tensor{"w": w(2, 2, 1, 1)},
			// Relu and Add form a function of c, fused into the Conv.
			outputs: []string{"y"}, steps: 1,
		},
		{
			name: "weights not constant: no batchnorm folding",
			nodes: []*onnx.Node{
				node("Conv", []string{"x", "w"}, []string{"c"}),
				node("BatchNormalization", []string{"c", "s", "b", "m", "v"}, []string{"y"}),
			},
			inputs:  feeds("x", w(1, 2, 4, 4), "w", w(3, 2, 1, 1)),
			inits:   bnInits("", 3),
			outputs: []string{"y"}, steps: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ins []onnx.ValueInfo
			for name, v := range tc.inputs {
				ins = append(ins, input(name, tensor.Float32, v.Shape()...))
			}
			m := model(14, tc.nodes, ins, tc.outputs, tc.inits)
			fused := runPlanned(t, m, tc.inputs, true, tc.steps)
			plain := runPlanned(t, m, tc.inputs, false, -1)
			for _, name := range tc.outputs {
				g, want := tensor.Data[float32](fused[name]), tensor.Data[float32](plain[name])
				if !equalInts(fused[name].Shape(), plain[name].Shape()) {
					t.Fatalf("%s: shape %v, unfused %v", name, fused[name].Shape(), plain[name].Shape())
				}
				for i := range want {
					if d := math.Abs(float64(g[i] - want[i])); d > 1e-5*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("%s[%d] = %v, unfused %v", name, i, g[i], want[i])
					}
				}
			}
		})
	}
}

// runPlanned loads m with or without fusion, checks its number of steps
// (unless steps < 0) and runs it.
func runPlanned(t *testing.T, m *onnx.Model, in map[string]*tensor.Tensor, fuse bool, steps int) map[string]*tensor.Tensor {
	t.Helper()
	defer func() { fusionEnabled = true }()
	fusionEnabled = fuse
	s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.(*session).plan.steps); steps >= 0 && got != steps {
		t.Fatalf("%d steps after fusion, want %d", got, steps)
	}
	out, err := s.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
