package perf

import (
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// graph builds a model from nodes and initializer shapes.
func graph(inits map[string][]int, nodes ...*onnx.Node) *onnx.Model {
	g := &onnx.Graph{Initializers: map[string]*tensor.Tensor{}}
	for name, sh := range inits {
		g.Initializers[name] = tensor.New(tensor.Float32, sh...)
	}
	g.Nodes = nodes
	return &onnx.Model{Graph: g}
}

func node(op string, in, out []string, attrs ...*onnx.Attribute) *onnx.Node {
	n := &onnx.Node{OpType: op, Inputs: in, Outputs: out, Attrs: map[string]*onnx.Attribute{}}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
	}
	return n
}

func ints(name string, v ...int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
}

func intAttr(name string, v int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInt, Int: v}
}

func TestFLOPs(t *testing.T) {
	tests := []struct {
		name   string
		m      *onnx.Model
		inputs map[string][]int
		want   float64
	}{{
		// The digits example CNN, per sample: conv1 16·8·8 outputs × 9,
		// conv2 32·8·8 × 144, fc1 512·64, fc2 64·10 multiply-adds.
		name: "digits cnn batch 2",
		m: graph(map[string][]int{"w1": {16, 1, 3, 3}, "w2": {32, 16, 3, 3}, "f1": {64, 512}, "f2": {10, 64}},
			node("Conv", []string{"x", "w1"}, []string{"c1"}, ints("pads", 1, 1, 1, 1), ints("kernel_shape", 3, 3)),
			node("Relu", []string{"c1"}, []string{"r1"}),
			node("Conv", []string{"r1", "w2"}, []string{"c2"}, ints("pads", 1, 1, 1, 1)),
			node("MaxPool", []string{"c2"}, []string{"p"}, ints("kernel_shape", 2, 2), ints("strides", 2, 2)),
			node("Flatten", []string{"p"}, []string{"f"}),
			node("Gemm", []string{"f", "f1"}, []string{"g1"}, intAttr("transB", 1)),
			node("Gemm", []string{"g1", "f2"}, []string{"g2"}, intAttr("transB", 1))),
		inputs: map[string][]int{"x": {2, 1, 8, 8}},
		want:   2 * 2 * (16*64*9 + 32*64*144 + 512*64 + 64*10),
	}, {
		name: "strided grouped conv",
		m: graph(map[string][]int{"w": {8, 2, 3, 3}},
			node("Conv", []string{"x", "w"}, []string{"y"}, ints("strides", 2, 2), intAttr("group", 2), ints("pads", 1, 1, 1, 1))),
		inputs: map[string][]int{"x": {1, 4, 10, 10}},
		want:   2 * (8 * 5 * 5) * (2 * 9),
	}, {
		name: "same_upper conv",
		m: graph(map[string][]int{"w": {4, 3, 3, 3}},
			node("Conv", []string{"x", "w"}, []string{"y"}, &onnx.Attribute{Name: "auto_pad", Type: onnx.AttrString, String: "SAME_UPPER"}, ints("strides", 2, 2))),
		inputs: map[string][]int{"x": {1, 3, 7, 7}},
		want:   2 * (4 * 4 * 4) * (3 * 9),
	}, {
		name: "conv transpose",
		m: graph(map[string][]int{"w": {4, 2, 3, 3}},
			node("ConvTranspose", []string{"x", "w"}, []string{"y"}, ints("strides", 2, 2))),
		inputs: map[string][]int{"x": {1, 4, 5, 5}},
		want:   2 * (4 * 5 * 5) * (2 * 9),
	}, {
		name: "batched matmul with broadcast and reshape",
		m: graph(map[string][]int{"b": {8, 16}},
			node("Constant", nil, []string{"shape"}, &onnx.Attribute{Name: "value", Type: onnx.AttrTensor, Tensor: tensor.MustFromSlice([]int64{0, -1, 8}, 3)}),
			node("Reshape", []string{"x", "shape"}, []string{"r"}),
			node("MatMul", []string{"r", "b"}, []string{"y"})),
		inputs: map[string][]int{"x": {3, 5, 8}},
		want:   2 * 3 * 5 * 16 * 8,
	}, {
		name: "gemm transA through transpose and add",
		m: graph(map[string][]int{"b": {6, 7}},
			node("Transpose", []string{"x"}, []string{"t"}),
			node("Add", []string{"t", "t"}, []string{"s"}),
			node("Gemm", []string{"s", "b"}, []string{"y"}, intAttr("transA", 1))),
		inputs: map[string][]int{"x": {4, 6}},
		want:   2 * 6 * 7 * 4,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, why := FLOPs(tc.m, tc.inputs)
			if !ok || got != tc.want {
				t.Errorf("FLOPs = %v, %v (%s); want %v", got, ok, why, tc.want)
			}
		})
	}
}

func TestFLOPsNotCountable(t *testing.T) {
	tests := []struct {
		name, reason string
		m            *onnx.Model
	}{
		{"unknown op first", "Conv", graph(map[string][]int{"w": {4, 3, 3, 3}},
			node("Resize", []string{"x"}, []string{"r"}),
			node("Conv", []string{"r", "w"}, []string{"y"}))},
		{"no matrix ops", "no Conv", graph(nil, node("Relu", []string{"x"}, []string{"y"}))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ok, why := FLOPs(tc.m, map[string][]int{"x": {1, 3, 8, 8}})
			if ok || !strings.Contains(why, tc.reason) {
				t.Errorf("FLOPs ok=%v reason %q, want not countable mentioning %q", ok, why, tc.reason)
			}
		})
	}
}

func TestShapeRules(t *testing.T) {
	tests := []struct {
		name string
		got  []int
		want []int
	}{
		{"broadcast", broadcast([]int{2, 1, 4}, []int{3, 1}), []int{2, 3, 4}},
		{"broadcast mismatch", broadcast([]int{2, 3}, []int{4}), nil},
		{"matmul vector", matmulShape([]int{5}, []int{5, 3}), []int{3}},
		{"matmul batch", matmulShape([]int{2, 1, 4, 5}, []int{3, 5, 6}), []int{2, 3, 4, 6}},
		{"reshape infer", reshape([]int{2, 3, 4}, []int64{0, -1}, false), []int{2, 12}},
		{"reshape bad", reshape([]int{2, 3}, []int64{4, -1}, false), nil},
		{"squeeze all ones", squeeze([]int{1, 3, 1}, nil, false), []int{3}},
		{"unsqueeze", squeeze([]int{3, 4}, []int64{0, -1}, true), []int{1, 3, 4, 1}},
		{"reduce keep", reduce([]int{2, 3, 4}, []int64{-1}, true), []int{2, 3, 1}},
		{"reduce all", reduce([]int{2, 3}, nil, false), []int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.Equal(tc.got, tc.want) || (tc.want == nil) != (tc.got == nil) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}
