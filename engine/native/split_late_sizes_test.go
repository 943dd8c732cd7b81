package native

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestLateSplitSizes runs transformer_gelu with a variable sequence
// length (run-time analysis) split on two threads against the whole run,
// bit for bit, over batch sizes and lengths (odd, short, beyond the
// declared one), returning to earlier lengths.
func TestLateSplitSizes(t *testing.T) {
	path := filepath.Join("..", "..", ".cache/zoo/transformer_gelu/model.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Skip("not generated")
	}
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m.Graph.Inputs[0].Type.Shape[1] = onnx.Dim{Value: -1, Param: "seq"}
	ss := lateSession(t, m)
	for _, seq := range []int{1, 5, 17, 32, 5} {
		for _, batch := range []int{2, 3, 5, 8} {
			checkSplitRun(t, ss, map[string]*tensor.Tensor{"input": modelBatch(ss, batch, []int{seq})}, true)
		}
	}
}

// TestLateSplitCRNN: the CRNN (seq-first LSTM, zero states from
// ConstantOfShape of the batch's shape) with a variable image width,
// separable at load (the width is unknown but stays within rows): split on two threads equals the whole run.
func TestLateSplitCRNN(t *testing.T) {
	path := filepath.Join("..", "..", ".cache/zoo/crnn/model.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Skip("not generated")
	}
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m.Graph.Inputs[0].Type.Shape[3] = onnx.Dim{Value: -1, Param: "width"}
	s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	ss := s.(*session)
	t.Logf("separable at load: %v, late analysis: %v", ss.plan.separable, ss.plan.late != nil)
	for _, w := range []int{128, 64, 96} {
		checkSplitRun(t, ss, map[string]*tensor.Tensor{ss.plan.graphInputs[0].Name: modelBatch(ss, 3, []int{1, 32, w})}, true)
	}
}
