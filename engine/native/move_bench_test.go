package native

import (
	"context"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// BenchmarkDataMovement times the kernels that only move elements (the
// ones sharing the word-size dispatch of words.go) on float32 and on one
// other element size, each in a model whose only output is the kernel's
// shape, so that the kernel's output comes from the arena as inside a
// real model.
func BenchmarkDataMovement(b *testing.B) {
	ids := make([]int64, 32*32)
	for i := range ids {
		ids[i] = int64(i*37) % 1000
	}
	cols := make([]int64, 256*256)
	for i := range cols {
		cols[i] = int64(i*7) % 256
	}
	nd := make([]int64, 512*2)
	for i := range nd {
		nd[i] = int64(i*5) % 64
	}
	cases := []struct {
		name  string
		n     *onnx.Node
		feeds map[string]*tensor.Tensor
	}{
		{"Expand/float32", node("Expand", []string{"x", "s"}, []string{"y"}),
			feeds("x", tensor.New(tensor.Float32, 64, 1, 64), "s", i64([]int{3}, 64, 64, 64))},
		{"Expand/uint8", node("Expand", []string{"x", "s"}, []string{"y"}),
			feeds("x", tensor.New(tensor.Uint8, 64, 1, 64), "s", i64([]int{3}, 64, 64, 64))},
		{"Tile/float32", node("Tile", []string{"x", "r"}, []string{"y"}),
			feeds("x", tensor.New(tensor.Float32, 64, 64), "r", i64([]int{2}, 4, 4))},
		{"Tile/int64", node("Tile", []string{"x", "r"}, []string{"y"}),
			feeds("x", tensor.New(tensor.Int64, 64, 64), "r", i64([]int{2}, 4, 4))},
		{"Gather/float32", node("Gather", []string{"x", "i"}, []string{"y"}),
			feeds("x", tensor.New(tensor.Float32, 1000, 64), "i", tensor.MustFromSlice(ids, 32, 32))},
		{"Gather/int64", node("Gather", []string{"x", "i"}, []string{"y"}),
			feeds("x", tensor.New(tensor.Int64, 1000, 64), "i", tensor.MustFromSlice(ids, 32, 32))},
		{"GatherElements/float32", node("GatherElements", []string{"x", "i"}, []string{"y"}, aInt("axis", 1)),
			feeds("x", tensor.New(tensor.Float32, 256, 256), "i", tensor.MustFromSlice(cols, 256, 256))},
		{"GatherND/float32", node("GatherND", []string{"x", "i"}, []string{"y"}),
			feeds("x", tensor.New(tensor.Float32, 64, 64, 16), "i", tensor.MustFromSlice(nd, 512, 2))},
		{"Split/float32", node("Split", []string{"x"}, []string{"y", "y1", "y2"}, aInt("axis", 1)),
			feeds("x", tensor.New(tensor.Float32, 64, 96, 32))},
		{"Split/int16", node("Split", []string{"x"}, []string{"y", "y1", "y2"}, aInt("axis", 1)),
			feeds("x", tensor.New(tensor.Int16, 64, 96, 32))},
		{"ConstantOfShape/float32", node("ConstantOfShape", []string{"s"}, []string{"y"}, aTensor("value", tensor.MustFromSlice([]float32{1.5}, 1))),
			feeds("s", i64([]int{2}, 256, 256))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var ins []onnx.ValueInfo
			for _, name := range c.n.Inputs {
				t := c.feeds[name]
				ins = append(ins, input(name, t.DType(), t.Shape()...))
			}
			m := model(13, []*onnx.Node{c.n, node("Shape", []string{"y"}, []string{"shape"})}, ins, []string{"shape"}, nil)
			s := mustSession(b, m, 1)
			defer s.Close()
			mustRun(b, s, c.feeds)
			for b.Loop() {
				if _, err := s.Run(context.Background(), c.feeds); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
