package perf

import (
	"slices"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestInferShapes propagates the shape of x, [2 3 4 5], through one node
// of each kind shapes knows (and a few it cannot work out, which stay
// absent), with initializers w [5] and m [5 6], and Reshape's target
// [0 -1] from an initializer.
func TestInferShapes(t *testing.T) {
	target := &onnx.Attribute{Name: "value", Type: onnx.AttrTensor, Tensor: tensor.MustFromSlice([]int64{0, -1}, 2)}
	tests := []struct {
		name string
		n    *onnx.Node
		want []int // nil: absent
	}{
		{"constant tensor", node("Constant", nil, []string{"y"}, target), []int{2}},
		{"constant ints", node("Constant", nil, []string{"y"}, ints("value_ints", 1, 2, 3)), []int{3}},
		{"other domain", &onnx.Node{OpType: "Relu", Domain: "com.example", Inputs: []string{"x"}, Outputs: []string{"y"}}, nil},
		{"same shape", node("Relu", []string{"x"}, []string{"y"}), []int{2, 3, 4, 5}},
		{"same shape, unknown input", node("Relu", []string{"u"}, []string{"y"}), nil},
		{"broadcast", node("Add", []string{"x", "w"}, []string{"y"}), []int{2, 3, 4, 5}},
		{"broadcast mismatch", node("Add", []string{"x", "m"}, []string{"y"}), nil},
		{"broadcast, unknown input", node("Mul", []string{"x", "u"}, []string{"y"}), nil},
		{"conv", node("Conv", []string{"x", "k"}, []string{"y"}, ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)), []int{2, 7, 4, 5}},
		{"conv, weights unknown", node("Conv", []string{"x", "u"}, []string{"y"}), nil},
		{"conv, kernel from the weights", node("Conv", []string{"x", "k"}, []string{"y"}, ints("strides", 2, 2)), []int{2, 7, 1, 2}},
		{"conv same", node("Conv", []string{"x", "k"}, []string{"y"}, ints("strides", 2, 2), &onnx.Attribute{Name: "auto_pad", Type: onnx.AttrString, String: "SAME_UPPER"}), []int{2, 7, 2, 3}},
		{"conv, pads of the wrong rank", node("Conv", []string{"x", "k"}, []string{"y"}, ints("pads", 1, 1)), nil},
		{"conv transpose", node("ConvTranspose", []string{"x", "k"}, []string{"y"}, ints("strides", 2, 2), intAttr("group", 2)), []int{2, 6, 9, 11}},
		{"conv transpose, output padding", node("ConvTranspose", []string{"x", "k"}, []string{"y"}, ints("strides", 2, 2), ints("output_padding", 1, 0)), []int{2, 3, 10, 11}},
		{"conv transpose, output shape", node("ConvTranspose", []string{"x", "k"}, []string{"y"}, ints("output_shape", 8, 10)), []int{2, 3, 8, 10}},
		{"conv transpose same", node("ConvTranspose", []string{"x", "k"}, []string{"y"}, ints("strides", 2, 2), &onnx.Attribute{Name: "auto_pad", Type: onnx.AttrString, String: "SAME_LOWER"}), []int{2, 3, 8, 10}},
		{"max pool", node("MaxPool", []string{"x"}, []string{"y"}, ints("kernel_shape", 2, 2), ints("strides", 2, 2)), []int{2, 3, 2, 2}},
		{"max pool ceil", node("MaxPool", []string{"x"}, []string{"y"}, ints("kernel_shape", 2, 2), ints("strides", 2, 2), intAttr("ceil_mode", 1)), []int{2, 3, 2, 3}},
		{"average pool valid", node("AveragePool", []string{"x"}, []string{"y"}, ints("kernel_shape", 3, 3), &onnx.Attribute{Name: "auto_pad", Type: onnx.AttrString, String: "VALID"}), []int{2, 3, 2, 3}},
		{"pool without a kernel", node("MaxPool", []string{"x"}, []string{"y"}), nil},
		{"pool larger than the input", node("MaxPool", []string{"x"}, []string{"y"}, ints("kernel_shape", 5, 5)), nil},
		{"global pool", node("GlobalAveragePool", []string{"x"}, []string{"y"}), []int{2, 3, 1, 1}},
		{"flatten", node("Flatten", []string{"x"}, []string{"y"}), []int{2, 60}},
		{"flatten at 0", node("Flatten", []string{"x"}, []string{"y"}, intAttr("axis", 0)), []int{1, 120}},
		{"flatten at the rank", node("Flatten", []string{"x"}, []string{"y"}, intAttr("axis", 4)), []int{120, 1}},
		{"flatten at -1", node("Flatten", []string{"x"}, []string{"y"}, intAttr("axis", -1)), []int{24, 5}},
		{"flatten at -4", node("Flatten", []string{"x"}, []string{"y"}, intAttr("axis", -4)), []int{1, 120}},
		{"flatten out of range", node("Flatten", []string{"x"}, []string{"y"}, intAttr("axis", 5)), nil},
		{"gemm", node("Gemm", []string{"f", "m"}, []string{"y"}), []int{7, 6}},
		{"gemm transposed", node("Gemm", []string{"m", "m"}, []string{"y"}, intAttr("transA", 1), intAttr("transB", 1)), []int{6, 5}},
		{"gemm of rank 4", node("Gemm", []string{"x", "m"}, []string{"y"}), nil},
		{"matmul", node("MatMul", []string{"x", "m"}, []string{"y"}), []int{2, 3, 4, 6}},
		{"reshape", node("Reshape", []string{"x", "t"}, []string{"y"}), []int{2, 60}},
		{"transpose", node("Transpose", []string{"x"}, []string{"y"}, ints("perm", 0, 2, 3, 1)), []int{2, 4, 5, 3}},
		{"transpose reversed", node("Transpose", []string{"x"}, []string{"y"}), []int{5, 4, 3, 2}},
		{"transpose bad perm", node("Transpose", []string{"x"}, []string{"y"}, ints("perm", 0, 1)), nil},
		{"concat", node("Concat", []string{"x", "x"}, []string{"y"}, intAttr("axis", -1)), []int{2, 3, 4, 10}},
		{"concat of ranks", node("Concat", []string{"x", "m"}, []string{"y"}, intAttr("axis", 1)), nil},
		{"unsqueeze", node("Unsqueeze", []string{"x"}, []string{"y"}, ints("axes", 0)), []int{1, 2, 3, 4, 5}},
		{"reduce", node("ReduceMean", []string{"x"}, []string{"y"}, ints("axes", 2, 3)), []int{2, 3, 1, 1}},
		{"pad", node("Pad", []string{"x"}, []string{"y"}, ints("pads", 0, 0, 1, 2, 0, 0, 1, 2)), []int{2, 3, 6, 9}},
		{"pad of the wrong rank", node("Pad", []string{"x"}, []string{"y"}, ints("pads", 1, 1)), nil},
		{"gather", node("Gather", []string{"x", "i"}, []string{"y"}, intAttr("axis", 1)), []int{2, 7, 4, 5}},
		{"unknown operator", node("NonMaxSuppression", []string{"x"}, []string{"y"}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := graph(map[string][]int{"w": {5}, "m": {5, 6}, "f": {7, 5}, "k": {7, 3, 3, 3}, "i": {7}}, tt.n)
			m.Graph.Initializers["t"] = tensor.MustFromSlice([]int64{0, -1}, 2)
			got, ok := inferShapes(m, map[string][]int{"x": {2, 3, 4, 5}}).shape["y"]
			if !slices.Equal(got, tt.want) || ok != (tt.want != nil) {
				t.Errorf("shape %v (known %v), want %v", got, ok, tt.want)
			}
		})
	}
}
