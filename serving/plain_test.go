package serving

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/repository"
)

// TestPlainModel serves the digits example's model file in directories
// that restate nothing the file declares: no config.yaml at all, and a
// config.yaml with only an image section.
func TestPlainModel(t *testing.T) {
	model, err := os.ReadFile(filepath.Join(testutil.ExamplesDir(), "digits", "1", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := os.ReadFile(filepath.Join(testutil.DigitsDir(), "images", "3_0.png"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		config string // "" for no config.yaml
		want   string // "top label/count of predictions", or the error text
	}{
		{"no config: tensors only", "", `model "m" has no image preprocessing`},
		{"image section: size and color from the model, ranked by the only output", "preprocess: {image: {}}\n", "3/5"},
		{"image section and top_k", "preprocess: {image: {resize: {width: 8, height: 8, filter: area}}}\npostprocess: {top_k: 2}\n", "3/2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			write := func(name string, data []byte) {
				p := filepath.Join(root, "m", name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("1/model.onnx", model)
			if tt.config != "" {
				write("config.yaml", []byte(tt.config))
			}
			if got := inferImage(t, root, img); !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// inferImage serves the repository root, posts img to model m and returns
// "top label/number of predictions", or the error text.
func inferImage(t *testing.T, root string, img []byte) string {
	t.Helper()
	m := New()
	defer m.Close()
	ctx := context.Background()
	if err := m.Load(ctx, repository.NewDir(root)); err != nil {
		t.Fatal(err)
	}
	v, err := m.Acquire("m", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	res, err := v.Infer(ctx, &Request{Images: [][]byte{img}, Predictions: true})
	if err != nil {
		return err.Error()
	}
	if len(res.Predictions) != 1 || len(res.Predictions[0]) == 0 {
		t.Fatalf("predictions = %v", res.Predictions)
	}
	preds := res.Predictions[0]
	for i := 1; i < len(preds); i++ {
		if preds[i].Score > preds[i-1].Score {
			t.Errorf("predictions not ranked: %v", preds)
		}
	}
	return fmt.Sprintf("%s/%d", preds[0].Label, len(preds))
}
