package native

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestPointwiseTransAlternatingShapes: a Conv keeps one setup
// (convSetupSlot), so a batch size change makes a new plan. The transposed
// path's packed Wᵀ must outlive the plans, as the untransposed path's
// weights packed at load do: else a server whose batcher alternates batch
// sizes packs (and allocates) every transposed layer's weights on every
// run. The bytes allocated per run, alternating batch 1 and 2, must not
// grow by the weights' size when the transposed path is on.
func TestPointwiseTransAlternatingShapes(t *testing.T) {
	const c, m, hw = 960, 320, 7
	r := rand.New(rand.NewPCG(5, 6))
	w := tensor.MustFromSlice(randFloats(r, m*c), m, c, 1, 1)
	b := tensor.MustFromSlice(randFloats(r, m), m)
	n := &onnx.Node{OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"y"}}
	in := map[int]map[string]*tensor.Tensor{}
	for _, batch := range []int{1, 2} {
		in[batch] = map[string]*tensor.Tensor{"x": tensor.MustFromSlice(randFloats(r, batch*c*hw*hw), batch, c, hw, hw)}
	}
	perRun := func(trans bool) float64 {
		defer func(old bool) { pointwiseTransEnabled = old }(pointwiseTransEnabled)
		pointwiseTransEnabled = trans
		s, err := NewSession(context.Background(), opModel(13, n, in[1], map[string]*tensor.Tensor{"w": w, "b": b}), engine.Options{IntraOpThreads: 1})
		if err != nil {
			t.Fatal(err)
		}
		run := func(batch int) {
			if _, err := s.Run(context.Background(), in[batch]); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			run(1)
			run(2)
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		const rounds = 4
		for range rounds {
			run(1)
			run(2)
		}
		runtime.ReadMemStats(&m1)
		return float64(m1.TotalAlloc-m0.TotalAlloc) / (2 * rounds)
	}
	off, on := perRun(false), perRun(true)
	weights := float64(4 * m * c)
	t.Logf("bytes per run alternating batch 1 and 2: untransposed %.0f, transposed %.0f (weights %.0f)", off, on, weights)
	if on > off+weights/2 {
		t.Errorf("transposed path allocates %s per run more than the untransposed one: Wᵀ repacked on every shape change",
			fmt.Sprintf("%.0f bytes", on-off))
	}
}
