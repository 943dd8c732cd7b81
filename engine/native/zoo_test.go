package native_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// zooDir is where scripts/gen-zoo.sh writes the large real models
// (relative to the repository root); INFERD_ZOO overrides it.
const zooDir = ".cache/zoo"

// TestRealModels runs PyTorch-exported models with random weights and
// compares their outputs with PyTorch's within 1e-4 absolute:
// the committed BERT-style encoder (examples/zoo/transformer_encoder) and,
// when scripts/gen-zoo.sh has generated them, ResNet-18, MobileNetV2 and
// the zoo of shapes users bring (text detector, CRNN, transformer).
func TestRealModels(t *testing.T) {
	root := filepath.Join("..", "..")
	zoo := os.Getenv("INFERD_ZOO")
	if zoo == "" {
		zoo = filepath.Join(root, zooDir)
	}
	cases := []struct{ name, dir string }{
		{"transformer_encoder", filepath.Join(root, "examples", "zoo", "transformer_encoder")},
		{"resnet18", filepath.Join(zoo, "resnet18")},
		{"mobilenet_v2", filepath.Join(zoo, "mobilenet_v2")},
		{"db_detector", filepath.Join(zoo, "db_detector")},
		{"crnn", filepath.Join(zoo, "crnn")},
		{"transformer_gelu", filepath.Join(zoo, "transformer_gelu")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(c.dir, "model.onnx")
			if _, err := os.Stat(path); err != nil {
				t.Skipf("%s not generated: run scripts/gen-zoo.sh (needs python3-torch and python3-torchvision)", path)
			}
			m, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			in := readPB(t, filepath.Join(c.dir, "test_data_set_0", "input_0.pb"))
			want := readPB(t, filepath.Join(c.dir, "test_data_set_0", "output_0.pb"))
			s, err := engine.LoadPath(context.Background(), native.Engine{}, path, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.Run(context.Background(), map[string]*tensor.Tensor{m.Graph.Inputs[0].Name: in})
			if err != nil {
				t.Fatal(err)
			}
			got := out[m.Graph.Outputs[0].Name]
			if got == nil || !equalShape(got.Shape(), want.Shape()) {
				t.Fatalf("output %v, want %v", got, want)
			}
			g, w := tensor.Data[float32](got), tensor.Data[float32](want)
			worst := 0.0
			for i := range w {
				d := math.Abs(float64(g[i] - w[i]))
				if d > 1e-4 || math.IsNaN(float64(g[i])) {
					t.Fatalf("element %d: got %v, PyTorch %v", i, g[i], w[i])
				}
				worst = max(worst, d)
			}
			t.Logf("%d outputs within %.2g of PyTorch's", len(w), worst)
		})
	}
}

func readPB(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := onnx.DecodeTensor(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
