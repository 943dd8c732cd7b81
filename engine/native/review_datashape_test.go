package native

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestReviewSameTagOtherShapes (review s12): runs whose inputs have the
// same shapes (one shape tag) but whose values change the shapes inside
// the graph (a Reshape to a shape given as input) get the right answers,
// and earlier outputs, still held, keep theirs.
func TestReviewSameTagOtherShapes(t *testing.T) {
	nodes := []*onnx.Node{
		node("Reshape", []string{"x", "s"}, []string{"r"}),
		node("Mul", []string{"r", "r"}, []string{"sq"}),
		node("Transpose", []string{"sq"}, []string{"tr"}, aInts("perm", 1, 0)),
		node("Relu", []string{"tr"}, []string{"y"}),
		node("Add", []string{"sq", "sq"}, []string{"z"}),
	}
	m := model(13, nodes, []onnx.ValueInfo{input("x", tensor.Float32, -1, -1), input("s", tensor.Int64, 2)}, []string{"y", "z"}, nil)
	for _, threads := range []int{1, 2} {
		t.Run(fmt.Sprint("threads=", threads), func(t *testing.T) {
			s := mustSession(t, m, threads)
			r := rand.New(rand.NewPCG(1, 1))
			x := randFloats(r, 48)
			shapes := [][]int64{{6, 8}, {12, 4}, {48, 1}, {2, 24}, {6, 8}, {16, 3}, {12, 4}, {1, 48}, {3, 16}, {48, 1}, {6, 8}}
			type held struct {
				y, z []float32
				ys   []int
				out  map[string]*tensor.Tensor
			}
			var hs []held
			for round := range 3 {
				for _, sh := range shapes {
					out := mustRun(t, s, feeds("x", tensor.MustFromSlice(x, 6, 8), "s", tensor.MustFromSlice(slices.Clone(sh), 2)))
					rows, cols := int(sh[0]), int(sh[1])
					y, z := make([]float32, 48), make([]float32, 48)
					for i := range rows {
						for j := range cols {
							v := x[i*cols+j] * x[i*cols+j]
							y[j*rows+i] = max(v, 0)
							z[i*cols+j] = v + v
						}
					}
					if round == 2 {
						hs = append(hs, held{y, z, []int{cols, rows}, out})
					}
				}
			}
			for i, h := range hs {
				if !slices.Equal(h.out["y"].Shape(), h.ys) {
					t.Fatalf("run %d: y shape %v, want %v", i, h.out["y"].Shape(), h.ys)
				}
				if d := maxAbsDiff(tensor.Data[float32](h.out["y"]), h.y); d > 1e-6 {
					t.Fatalf("run %d (%v): y off by %g", i, h.ys, d)
				}
				if d := maxAbsDiff(tensor.Data[float32](h.out["z"]), h.z); d > 1e-6 {
					t.Fatalf("run %d: z off by %g", i, d)
				}
			}
		})
	}
}
