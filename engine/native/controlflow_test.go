package native

import (
	"context"
	"sync"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestIfTensorPath runs an If on the tensor path with its branch on the
// run's arena: the branch reads a value the enclosing graph computed and
// uses again after the If, makes intermediates, outputs that outer value
// itself, and (else branch) a constant. Repeated and concurrent runs must
// keep every value intact while buffers are recycled.
func TestIfTensorPath(t *testing.T) {
	then := &onnx.Graph{Name: "then", Nodes: []*onnx.Node{
		node("Mul", []string{"h", "h"}, []string{"sq"}),
		node("Neg", []string{"sq"}, []string{"n"}),
		node("Add", []string{"n", "h"}, []string{"t"}),
	}, Outputs: []onnx.ValueInfo{output("t"), output("h")}}
	els := &onnx.Graph{Name: "else", Nodes: []*onnx.Node{node("Neg", []string{"h"}, []string{"e"})},
		Outputs: []onnx.ValueInfo{output("e"), output("k")}}
	m := model(13, []*onnx.Node{
		node("Add", []string{"x", "x"}, []string{"h"}),
		node("If", []string{"c"}, []string{"y", "z"}, graphAttr("then_branch", then), graphAttr("else_branch", els)),
		node("Mul", []string{"y", "h"}, []string{"w"}),
	}, []onnx.ValueInfo{input("c", tensor.Bool), input("x", tensor.Float32, -1)}, []string{"w", "z", "h"},
		map[string]*tensor.Tensor{"k": f32([]int{2}, 7, 8)})
	s := mustSession(t, m, 1)
	in := func(cond bool, x0 float32) map[string]*tensor.Tensor {
		return feeds("c", tensor.Scalar(cond), "x", f32([]int{2}, x0, 1))
	}
	verify := func(cond bool, x0 float32, out map[string]*tensor.Tensor) {
		t.Helper()
		h := []float32{2 * x0, 2}
		y := []float32{-h[0], -h[1]}
		z := []float32{7, 8}
		if cond {
			y = []float32{h[0] - h[0]*h[0], h[1] - h[1]*h[1]}
			z = h
		}
		assertClose(t, out["w"], f32([]int{2}, y[0]*h[0], y[1]*h[1]))
		assertClose(t, out["z"], f32([]int{2}, z...))
		assertClose(t, out["h"], f32([]int{2}, h...))
	}
	check := func(cond bool, x0 float32) { verify(cond, x0, mustRun(t, s, in(cond, x0))) }
	for i := range 20 {
		check(i%3 != 0, float32(i))
	}
	// Concurrent runs; the outputs are checked on the test's goroutine.
	var wg sync.WaitGroup
	outs := make([][]map[string]*tensor.Tensor, 4)
	errs := make([]error, 4)
	for g := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				out, err := s.Run(context.Background(), in((i+g)%2 == 0, float32(g*100+i)))
				if err != nil {
					errs[g] = err
					return
				}
				outs[g] = append(outs[g], out)
			}
		}()
	}
	wg.Wait()
	for g, list := range outs {
		if errs[g] != nil {
			t.Fatal(errs[g])
		}
		for i, out := range list {
			verify((i+g)%2 == 0, float32(g*100+i), out)
		}
	}
	// The constant output is a copy: changing it does not change the model.
	out := mustRun(t, s, feeds("c", tensor.Scalar(false), "x", f32([]int{2}, 0, 0)))
	tensor.Data[float32](out["z"])[0] = -1
	check(false, 3)
}
