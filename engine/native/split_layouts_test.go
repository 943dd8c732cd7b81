package native

import (
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestSplitLayouts: graphs moving the batch to other axes and
// interleaving it, run split on two threads against the whole run.
func TestSplitLayouts(t *testing.T) {
	ints := func(v ...int64) *tensor.Tensor { return i64([]int{len(v)}, v...) }
	inits := map[string]*tensor.Tensor{
		"t3": ints(3, -1), "w": randomBatch(4, []int{5}), "emb": randomBatch(2, []int{7}),
		"e134": ints(1, 3, 4), "ax0": ints(0), "ax1": ints(1), "m2": ints(-1, 2),
		"ids": i64([]int{2}, 1, 0), "fl": ints(2, -1),
	}
	tests := []struct {
		name      string
		in        []int
		nodes     []*onnx.Node
		separable bool
	}{
		{"transpose then reshape [3,-1]: batch interleaved on axis 1", []int{6}, []*onnx.Node{
			node("Transpose", []string{"x"}, []string{"t"}, aInts("perm", 1, 0)),
			node("Reshape", []string{"t", "t3"}, []string{"y"}),
		}, true},
		{"flatten axis 0", []int{2, 3}, []*onnx.Node{
			node("Flatten", []string{"x"}, []string{"y"}, aInt("axis", 0)),
		}, true},
		{"gemm transA of the transposed batch", []int{4}, []*onnx.Node{
			node("Transpose", []string{"x"}, []string{"t"}, aInts("perm", 1, 0)),
			node("Gemm", []string{"t", "w"}, []string{"y"}, aInt("transA", 1)),
		}, true},
		{"expand a batched row", []int{1, 4}, []*onnx.Node{
			node("Expand", []string{"x", "e134"}, []string{"y"}),
		}, true},
		{"reduce before the batch axis", []int{3, 4}, []*onnx.Node{
			node("Transpose", []string{"x"}, []string{"t"}, aInts("perm", 1, 0, 2)),
			node("ReduceSum", []string{"t", "ax0"}, []string{"y"}, aInt("keepdims", 0)),
		}, true},
		{"reshape [-1,2] then transpose: batch in columns", []int{6}, []*onnx.Node{
			node("Reshape", []string{"x", "m2"}, []string{"r"}),
			node("Transpose", []string{"r"}, []string{"y"}, aInts("perm", 1, 0)),
		}, true},
		{"gather constant rows by a batched cast", []int{3}, []*onnx.Node{
			node("Cast", []string{"x"}, []string{"xi"}, aInt("to", 7)),
			node("Gather", []string{"emb", "xi"}, []string{"g"}, aInt("axis", 0)),
			node("Transpose", []string{"g"}, []string{"y"}, aInts("perm", 2, 0, 1)),
		}, true},
		{"reshape [2,-1] across rows", []int{6}, []*onnx.Node{
			node("Reshape", []string{"x", "fl"}, []string{"y"}),
		}, false},
		{"batch columns reduced", []int{6}, []*onnx.Node{
			node("Reshape", []string{"x", "m2"}, []string{"r"}),
			node("Transpose", []string{"r"}, []string{"tr"}, aInts("perm", 1, 0)),
			node("ReduceSum", []string{"tr", "ax1"}, []string{"y"}),
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := model(17, tc.nodes, []onnx.ValueInfo{input("x", tensor.Float32, append([]int{-1}, tc.in...)...)}, []string{"y"}, inits)
			x := randomBatch(5, tc.in)
			if tc.name == "gather constant rows by a batched cast" {
				d := x.Data().([]float32)
				for i := range d {
					d[i] = float32(int(d[i] * 2))
				}
			}
			checkSplit(t, m, map[string]*tensor.Tensor{"x": x}, tc.separable)
		})
	}
}
