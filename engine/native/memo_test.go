package native

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestShapeMemo runs an exporter-style shape chain (Shape → Gather →
// Concat → Reshape, and the batch size times a constant) with batch sizes
// that change and come back: the chain's steps are memoized, and every
// run reshapes by its own input's shape.
func TestShapeMemo(t *testing.T) {
	n := func(op string, in []string, out string, attrs ...*onnx.Attribute) *onnx.Node {
		return node(op, in, []string{out}, attrs...)
	}
	nodes := []*onnx.Node{
		n("Shape", []string{"x"}, "s"), n("Gather", []string{"s", "zero"}, "b", aInt("axis", 0)),
		n("Mul", []string{"b", "two"}, "b2"), n("Concat", []string{"b2", "three"}, "t", aInt("axis", 0)),
		n("Reshape", []string{"x", "t"}, "y"),
	}
	inits := map[string]*tensor.Tensor{"zero": i64([]int{1}, 0), "two": i64([]int{1}, 2), "three": i64([]int{1}, 3)}
	m := model(13, nodes, []onnx.ValueInfo{input("x", tensor.Float32, -1, 6)}, []string{"y"}, inits)
	s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	memos := 0
	for _, st := range s.(*session).plan.steps {
		if st.memo != nil {
			memos++
		}
	}
	if memos != 4 {
		t.Fatalf("%d memoized steps, want 4 (all but Reshape, whose data input is not a shape)", memos)
	}
	for _, batch := range []int{2, 5, 5, 2, 1} {
		x := tensor.MustFromSlice(seq(batch*6, 0, 1), batch, 6)
		out, err := s.Run(context.Background(), feeds("x", x))
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, out["y"], tensor.MustFromSlice(seq(batch*6, 0, 1), 2*batch, 3))
	}
	// Concurrent runs of other shapes share the memory.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for g := range errs {
		wg.Go(func() {
			for i := range 20 {
				batch := 1 + (g+i)%3
				out, err := s.Run(context.Background(), feeds("x", tensor.MustFromSlice(seq(batch*6, 0, 1), batch, 6)))
				if err == nil && !equalInts(out["y"].Shape(), []int{2 * batch, 3}) {
					err = fmt.Errorf("batch %d: output shape %v", batch, out["y"].Shape())
				}
				if err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
