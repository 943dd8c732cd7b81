package native

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// BenchmarkBatchedMatMul times the attention products of a small
// transformer: many small matrices, both operands computed at run time.
func BenchmarkBatchedMatMul(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ batch, m, k, n int }{{128, 32, 16, 32}, {128, 32, 32, 16}, {128, 12, 8, 12}, {128, 12, 12, 8}} {
		b.Run(fmt.Sprintf("%dx%dx%dx%d", c.batch, c.m, c.k, c.n), func(b *testing.B) {
			nodes := []*onnx.Node{node("MatMul", []string{"a", "b"}, []string{"y"})}
			ins := []onnx.ValueInfo{input("a", tensor.Float32, c.batch, c.m, c.k), input("b", tensor.Float32, c.batch, c.k, c.n)}
			s := mustSession(b, model(14, nodes, ins, []string{"y"}, nil), 1)
			in := feeds("a", tensor.MustFromSlice(randFloats(r, c.batch*c.m*c.k), c.batch, c.m, c.k),
				"b", tensor.MustFromSlice(randFloats(r, c.batch*c.k*c.n), c.batch, c.k, c.n))
			mustRun(b, s, in)
			b.ReportAllocs()
			for b.Loop() {
				mustRun(b, s, in)
			}
			flops := 2 * float64(c.batch*c.m*c.k*c.n)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
