package native

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestElementwiseFusion runs graphs with decomposed activations and other
// elementwise chains with and without fusion: the groups must collapse
// into the expected number of steps and compute what the separate
// operators do.
func TestElementwiseFusion(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	w := func(shape ...int) *tensor.Tensor {
		v := randFloats(r, tensor.NumElements(shape))
		for i := range v {
			v[i] *= 4
		}
		return tensor.MustFromSlice(v, shape...)
	}
	sc := func(v float32) *tensor.Tensor { return tensor.MustFromSlice([]float32{v}) }
	n := func(op string, in []string, out string, attrs ...*onnx.Attribute) *onnx.Node {
		return node(op, in, []string{out}, attrs...)
	}
	hardswish := func(x, y string) []*onnx.Node {
		return []*onnx.Node{
			n("Add", []string{x, "three"}, y+"_a"), n("Clip", []string{y + "_a", "zero", "six"}, y+"_c"),
			n("Mul", []string{x, y + "_c"}, y+"_m"), n("Div", []string{y + "_m", "six"}, y),
		}
	}
	consts := map[string]*tensor.Tensor{"three": sc(3), "zero": sc(0), "six": sc(6), "one": sc(1), "half": sc(0.5),
		"sqrt2": sc(1.4142135), "k": sc(0.044715), "c": sc(0.7978846), "eps": sc(1e-5), "two": sc(2)}
	with := func(extra map[string]*tensor.Tensor) map[string]*tensor.Tensor {
		m := map[string]*tensor.Tensor{}
		for k, v := range consts {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		nodes  []*onnx.Node
		inputs map[string]*tensor.Tensor
		inits  map[string]*tensor.Tensor
		steps  int
	}{
		{
			name:   "decomposed hardswish after conv",
			nodes:  append([]*onnx.Node{n("Conv", []string{"x", "w"}, "h", aInts("pads", 1, 1, 1, 1))}, hardswish("h", "y")...),
			inputs: feeds("x", w(2, 3, 6, 5)), inits: with(map[string]*tensor.Tensor{"w": w(4, 3, 3, 3)}), steps: 1,
		},
		{
			name:   "decomposed hardswish on an input",
			nodes:  hardswish("x", "y"),
			inputs: feeds("x", w(3, 300)), inits: with(nil), steps: 1,
		},
		{
			name: "silu after gemm",
			nodes: []*onnx.Node{n("Gemm", []string{"x", "w", "b"}, "g", aInt("transB", 1)),
				n("Sigmoid", []string{"g"}, "s"), n("Mul", []string{"g", "s"}, "y")},
			inputs: feeds("x", w(4, 6)), inits: with(map[string]*tensor.Tensor{"w": w(5, 6), "b": w(5)}), steps: 1,
		},
		{
			name: "silu after conv, product of the sigmoid first",
			nodes: []*onnx.Node{n("Conv", []string{"x", "w"}, "h", aInts("pads", 1, 1, 1, 1)),
				n("Sigmoid", []string{"h"}, "s"), n("Mul", []string{"s", "h"}, "y")},
			inputs: feeds("x", w(2, 3, 9, 7)), inits: with(map[string]*tensor.Tensor{"w": w(4, 3, 3, 3)}), steps: 1,
		},
		{
			name:   "silu on an input, then scaled",
			nodes:  []*onnx.Node{n("Sigmoid", []string{"x"}, "s"), n("Mul", []string{"x", "s"}, "m"), n("Mul", []string{"m", "two"}, "y")},
			inputs: feeds("x", w(3, 301)), inits: with(nil), steps: 1,
		},
		{
			name: "gelu, erf form",
			nodes: []*onnx.Node{n("Div", []string{"x", "sqrt2"}, "d"), n("Erf", []string{"d"}, "e"),
				n("Add", []string{"e", "one"}, "a"), n("Mul", []string{"x", "a"}, "m"), n("Mul", []string{"m", "half"}, "y")},
			inputs: feeds("x", w(2, 5, 70)), inits: with(nil), steps: 1,
		},
		{
			name: "gelu, tanh form",
			nodes: []*onnx.Node{n("Pow", []string{"x", "three"}, "p"), n("Mul", []string{"p", "k"}, "pk"),
				n("Add", []string{"x", "pk"}, "s"), n("Mul", []string{"s", "c"}, "sc"), n("Tanh", []string{"sc"}, "t"),
				n("Add", []string{"one", "t"}, "a"), n("Mul", []string{"half", "x"}, "hx"), n("Mul", []string{"hx", "a"}, "y")},
			inputs: feeds("x", w(3, 200)), inits: with(nil), steps: 1,
		},
		{
			name: "layernorm tail broadcasts",
			nodes: []*onnx.Node{n("ReduceMean", []string{"x"}, "mu", aInts("axes", -1)), n("Sub", []string{"x", "mu"}, "d"),
				n("Pow", []string{"d", "two"}, "d2"), n("ReduceMean", []string{"d2"}, "v", aInts("axes", -1)),
				n("Add", []string{"v", "eps"}, "ve"), n("Sqrt", []string{"ve"}, "sd"), n("Div", []string{"d", "sd"}, "z"),
				n("Mul", []string{"z", "gamma"}, "zg"), n("Add", []string{"zg", "beta"}, "y")},
			inputs: feeds("x", w(2, 3, 40)), inits: with(map[string]*tensor.Tensor{"gamma": w(40), "beta": w(40)}), steps: 1,
		},
		{
			name: "layernorm, square as Mul, eps first, no scale or bias",
			nodes: []*onnx.Node{n("ReduceMean", []string{"x"}, "mu", aInts("axes", -1)), n("Sub", []string{"x", "mu"}, "d"),
				n("Mul", []string{"d", "d"}, "d2"), n("ReduceMean", []string{"d2"}, "v", aInts("axes", -1)),
				n("Add", []string{"eps", "v"}, "ve"), n("Sqrt", []string{"ve"}, "sd"), n("Div", []string{"d", "sd"}, "y")},
			inputs: feeds("x", w(5, 33)), inits: with(nil), steps: 1,
		},
		{
			name: "layernorm whose mean is read elsewhere",
			nodes: []*onnx.Node{n("ReduceMean", []string{"x"}, "mu", aInts("axes", -1)), n("Sub", []string{"x", "mu"}, "d"),
				n("Pow", []string{"d", "two"}, "d2"), n("ReduceMean", []string{"d2"}, "v", aInts("axes", -1)),
				n("Add", []string{"v", "eps"}, "ve"), n("Sqrt", []string{"ve"}, "sd"), n("Div", []string{"d", "sd"}, "z"),
				n("Add", []string{"z", "mu"}, "y")},
			inputs: feeds("x", w(4, 16)), inits: with(nil), steps: 5,
		},
		{
			name: "matmul bias and then gelu into the gemm's epilogue",
			nodes: []*onnx.Node{n("MatMul", []string{"x", "w"}, "mm"), n("Add", []string{"bias", "mm"}, "h"),
				n("Div", []string{"h", "sqrt2"}, "d"), n("Erf", []string{"d"}, "e"),
				n("Add", []string{"e", "one"}, "a"), n("Mul", []string{"h", "a"}, "m"), n("Mul", []string{"m", "half"}, "y")},
			inputs: feeds("x", w(2, 7, 12)), inits: with(map[string]*tensor.Tensor{"w": w(12, 20), "bias": w(20)}), steps: 1,
		},
		{
			name:   "matmul without bias, then relu",
			nodes:  []*onnx.Node{n("MatMul", []string{"x", "w"}, "mm"), n("Relu", []string{"mm"}, "y")},
			inputs: feeds("x", w(3, 5, 12)), inits: with(map[string]*tensor.Tensor{"w": w(12, 20)}), steps: 1,
		},
		{
			name:   "matmul of two runtime inputs keeps its activation",
			nodes:  []*onnx.Node{n("MatMul", []string{"x", "x2"}, "mm"), n("Relu", []string{"mm"}, "y")},
			inputs: feeds("x", w(3, 5, 12), "x2", w(3, 12, 4)), inits: with(nil), steps: 2,
		},
		{
			name:   "matmul bias that broadcasts differently stays an add",
			nodes:  []*onnx.Node{n("MatMul", []string{"x", "w"}, "mm"), n("Add", []string{"mm", "bias"}, "y")},
			inputs: feeds("x", w(3, 12)), inits: with(map[string]*tensor.Tensor{"w": w(12, 20), "bias": w(3, 1)}), steps: 2,
		},
		{
			name: "two runtime inputs that broadcast",
			nodes: []*onnx.Node{n("Sub", []string{"x", "b"}, "s"), n("Relu", []string{"s"}, "r"),
				n("Max", []string{"r", "x"}, "m"), n("Min", []string{"m", "half"}, "y")},
			inputs: feeds("x", w(2, 3, 4, 5), "b", w(3, 1, 1)), inits: with(nil), steps: 1,
		},
		{
			name:   "scalar constant of higher rank",
			nodes:  []*onnx.Node{n("Add", []string{"x", "c11"}, "a"), n("Neg", []string{"a"}, "y")},
			inputs: feeds("x", w(7)), inits: with(map[string]*tensor.Tensor{"c11": tensor.MustFromSlice([]float32{2}, 1, 1)}), steps: 1,
		},
		{
			name: "cast to float, reciprocal and exp",
			nodes: []*onnx.Node{n("Cast", []string{"x"}, "f", aInt("to", 1)), n("Sub", []string{"one", "f"}, "s"),
				n("Exp", []string{"s"}, "e"), n("Div", []string{"one", "e"}, "y")},
			inputs: feeds("x", w(5, 9)), inits: with(nil), steps: 1,
		},
		{
			name:   "one bias Add with a float32 constant",
			nodes:  []*onnx.Node{n("Add", []string{"x", "bias"}, "y")},
			inputs: feeds("x", w(3, 4, 5)), inits: with(map[string]*tensor.Tensor{"bias": w(4, 1)}), steps: 1,
		},
		{
			name:   "int64 operands run the operators",
			nodes:  []*onnx.Node{n("Add", []string{"x", "b"}, "a"), n("Mul", []string{"a", "x"}, "y")},
			inputs: feeds("x", i64([]int{2, 3}, 1, -2, 3, 4, 5, -6), "b", i64([]int{3}, 7, 8, 9)), steps: 1,
		},
		{
			name: "intermediate read outside the group",
			nodes: []*onnx.Node{n("Add", []string{"x", "one"}, "a"), n("Sigmoid", []string{"a"}, "s"),
				n("Mul", []string{"s", "two"}, "y"), n("ReduceSum", []string{"a"}, "z", aInt("keepdims", 1)),
				n("Add", []string{"y", "z"}, "out")},
			inputs: feeds("x", w(4, 8)), inits: with(nil), steps: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ins []onnx.ValueInfo
			for name, v := range tc.inputs {
				ins = append(ins, input(name, v.DType(), v.Shape()...))
			}
			out := tc.nodes[len(tc.nodes)-1].Outputs[0]
			m := model(14, tc.nodes, ins, []string{out}, tc.inits)
			m.Graph.Outputs[0].Type.DType = tc.inputs["x"].DType()
			fused := runPlanned(t, m, tc.inputs, true, tc.steps)[out]
			plain := runPlanned(t, m, tc.inputs, false, -1)[out]
			if fused.DType() != plain.DType() || !equalInts(fused.Shape(), plain.Shape()) {
				t.Fatalf("fused %v %v, unfused %v %v", fused.DType(), fused.Shape(), plain.DType(), plain.Shape())
			}
			if plain.DType() == tensor.Int64 {
				if g, want := tensor.Data[int64](fused), tensor.Data[int64](plain); !equalInt64s(g, want) {
					t.Fatalf("fused %v, unfused %v", g, want)
				}
				return
			}
			g, want := tensor.Data[float32](fused), tensor.Data[float32](plain)
			for i := range want {
				if d := math.Abs(float64(g[i] - want[i])); d > 1e-5*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("y[%d] = %v, unfused %v", i, g[i], want[i])
				}
			}
		})
	}
}

func equalInt64s(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkElementwiseGELU runs a fused GELU (Erf form) with a bias that
// broadcasts, as a transformer's feed-forward layer has it, over 256K
// values.
func BenchmarkElementwiseGELU(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	sc := func(v float32) *tensor.Tensor { return tensor.MustFromSlice([]float32{v}) }
	n := func(op string, in []string, out string) *onnx.Node { return node(op, in, []string{out}) }
	nodes := []*onnx.Node{n("Add", []string{"x", "bias"}, "xb"), n("Div", []string{"xb", "sqrt2"}, "d"), n("Erf", []string{"d"}, "e"),
		n("Add", []string{"e", "one"}, "a"), n("Mul", []string{"xb", "a"}, "m"), n("Mul", []string{"m", "half"}, "y")}
	x := tensor.MustFromSlice(randFloats(r, 32*32*256), 32, 32, 256)
	inits := map[string]*tensor.Tensor{"bias": tensor.MustFromSlice(randFloats(r, 256), 256), "sqrt2": sc(1.4142135), "one": sc(1), "half": sc(0.5)}
	s := mustSession(b, model(14, nodes, []onnx.ValueInfo{input("x", tensor.Float32, 32, 32, 256)}, []string{"y"}, inits), 1)
	in := feeds("x", x)
	mustRun(b, s, in)
	b.ReportAllocs()
	for b.Loop() {
		mustRun(b, s, in)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(x.Len()), "ns/value")
}
