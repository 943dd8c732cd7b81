package native_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
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
// compares their outputs with PyTorch's, floats within 1e-4 absolute and
// integers exactly: the committed BERT-style encoder
// (examples/zoo/transformer_encoder) and, when scripts/gen-zoo.sh has
// generated them, ResNet-18, MobileNetV2 and the zoo of shapes users bring
// (text detector, CRNN, transformer, voice-activity LSTM with If, YOLO-style
// detector with NonMaxSuppression).
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
		{"vad_lstm", filepath.Join(zoo, "vad_lstm")},
		{"yolo_detector", filepath.Join(zoo, "yolo_detector")},
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
			s, err := engine.LoadPath(context.Background(), native.Engine{}, path, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sets, _ := filepath.Glob(filepath.Join(c.dir, "test_data_set_*"))
			for _, set := range sets {
				in := map[string]*tensor.Tensor{}
				for i, gi := range m.Graph.Inputs {
					in[gi.Name] = readPB(t, filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
				}
				out, err := s.Run(context.Background(), in)
				if err != nil {
					t.Fatalf("%s: %v", filepath.Base(set), err)
				}
				for i, gout := range m.Graph.Outputs {
					want := readPB(t, filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
					worst := agreesWithPyTorch(t, gout.Name, out[gout.Name], want)
					t.Logf("%s %s: %d values within %.2g of PyTorch's", filepath.Base(set), gout.Name, want.Len(), worst)
				}
			}
		})
	}
}

// agreesWithPyTorch fails t unless got has want's shape and float32
// values within 1e-4 absolute (or int64 values equal); it returns the
// largest difference.
func agreesWithPyTorch(t *testing.T, name string, got, want *tensor.Tensor) float64 {
	t.Helper()
	if got == nil || got.DType() != want.DType() || !equalShape(got.Shape(), want.Shape()) {
		t.Fatalf("output %s: %v, want %v", name, got, want)
	}
	if want.DType() == tensor.Int64 {
		if g, w := tensor.Data[int64](got), tensor.Data[int64](want); !slices.Equal(g, w) {
			t.Fatalf("output %s: %v, PyTorch %v", name, g, w)
		}
		return 0
	}
	g, w := tensor.Data[float32](got), tensor.Data[float32](want)
	worst := 0.0
	for i := range w {
		d := math.Abs(float64(g[i] - w[i]))
		if d > 1e-4 || math.IsNaN(float64(g[i])) {
			t.Fatalf("output %s element %d: got %v, PyTorch %v", name, i, g[i], w[i])
		}
		worst = max(worst, d)
	}
	return worst
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
