package native_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/tensor"
)

// TestExampleModels runs the PyTorch-exported example models on the
// reference images, one by one and as one batch, and compares the logits
// with those PyTorch computed (examples/digits/reference.json).
func TestExampleModels(t *testing.T) {
	root := filepath.Join("..", "..", "examples")
	raw, err := os.ReadFile(filepath.Join(root, "digits", "reference.json"))
	if os.IsNotExist(err) {
		t.Skip("examples/digits/reference.json not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Models map[string]struct {
			File string `json:"file"`
		} `json:"models"`
		Images []map[string]json.RawMessage `json:"images"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Models) == 0 || len(ref.Images) == 0 {
		t.Fatal("reference.json lists no models or images")
	}
	for name, m := range ref.Models {
		t.Run(name, func(t *testing.T) {
			s, err := engine.LoadPath(context.Background(), native.Engine{}, filepath.Join(root, m.File), engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			batch := make([]float32, 0, len(ref.Images)*64)
			var want [][]float32
			for _, img := range ref.Images {
				var pixels []float32
				var out struct {
					Logits []float32 `json:"logits"`
				}
				if err := json.Unmarshal(img["pixels"], &pixels); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(img[name], &out); err != nil {
					t.Fatal(err)
				}
				for i := range pixels {
					pixels[i] /= 255
				}
				batch = append(batch, pixels...)
				want = append(want, out.Logits)
			}
			check := func(logits *tensor.Tensor, first int) {
				t.Helper()
				got := tensor.Data[float32](logits)
				for i := range got {
					w := want[first+i/10][i%10]
					if math.Abs(float64(got[i]-w)) > 1e-4+1e-4*math.Abs(float64(w)) {
						t.Fatalf("image %d logit %d: got %v, want %v", first+i/10, i%10, got[i], w)
					}
				}
			}
			out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"input": tensor.MustFromSlice(batch, len(want), 1, 8, 8)})
			if err != nil {
				t.Fatal(err)
			}
			check(out["logits"], 0)
			for i := range want {
				out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"input": tensor.MustFromSlice(batch[i*64:(i+1)*64], 1, 1, 8, 8)})
				if err != nil {
					t.Fatal(err)
				}
				check(out["logits"], i)
			}
		})
	}
}
