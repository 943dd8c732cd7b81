package native

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestModelEveryKernel runs MobileNetV2 (when scripts/gen-zoo.sh has
// generated it) with every GEMM and tap kernel the CPU runs forced in turn,
// and compares with PyTorch's output like TestRealModels.
func TestModelEveryKernel(t *testing.T) {
	dir := filepath.Join(testZoo(), "mobilenet_v2")
	path := filepath.Join(dir, "model.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not generated: run scripts/gen-zoo.sh", path)
	}
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	decode := func(name string) *tensor.Tensor {
		raw, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", name))
		if err != nil {
			t.Fatal(err)
		}
		v, err := onnx.DecodeTensor(raw)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	in, want := decode("input_0.pb"), decode("output_0.pb")
	for kernels := range forEachKernel(t) {
		t.Run(kernels, func(t *testing.T) {
			s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: 2})
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.Run(context.Background(), map[string]*tensor.Tensor{m.Graph.Inputs[0].Name: in})
			if err != nil {
				t.Fatal(err)
			}
			g, w := tensor.Data[float32](out[m.Graph.Outputs[0].Name]), tensor.Data[float32](want)
			for i := range w {
				if d := math.Abs(float64(g[i] - w[i])); !(d <= 1e-4) {
					t.Fatalf("element %d: got %v, PyTorch %v", i, g[i], w[i])
				}
			}
		})
	}
}
