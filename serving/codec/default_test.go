package codec

import (
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/tensor"
)

// TestDefaultRanking checks which image models without a postprocess
// section are answered with ranked classes.
func TestDefaultRanking(t *testing.T) {
	in := []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 3, 8, 8}}}
	image := &model.Config{Preprocess: &model.Preprocess{Image: &model.ImagePreprocess{Input: "x"}}}
	out := func(dt tensor.DType, shape ...int) engine.TensorInfo {
		return engine.TensorInfo{Name: "y", DType: dt, Shape: shape}
	}
	tests := []struct {
		name    string
		cfg     *model.Config
		outputs []engine.TensorInfo
		want    string // the score output, "" when not a classifier
	}{
		{"[N, C]", image, []engine.TensorInfo{out(tensor.Float32, -1, 10)}, "y"},
		{"[C]", image, []engine.TensorInfo{out(tensor.Float64, 10)}, "y"},
		{"unknown rank", image, []engine.TensorInfo{out(tensor.Float32)}, "y"},
		{"rank 4", image, []engine.TensorInfo{out(tensor.Float32, -1, 3, 8, 8)}, ""},
		{"integers", image, []engine.TensorInfo{out(tensor.Int64, -1)}, ""},
		{"two outputs", image, []engine.TensorInfo{out(tensor.Float32, -1, 10), {Name: "z", DType: tensor.Float32, Shape: []int{-1, 10}}}, ""},
		{"no image section", &model.Config{}, []engine.TensorInfo{out(tensor.Float32, -1, 10)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New("m", tt.cfg, in, tt.outputs)
			if c.ScoreOutput() != tt.want || c.IsClassifier() != (tt.want != "") {
				t.Fatalf("score output %q, classifier %v; want %q", c.ScoreOutput(), c.IsClassifier(), tt.want)
			}
			if tt.want == "" {
				return
			}
			scores, _ := tensor.FromSlice([]float32{0.1, 3, -2, 7, 0, 0, 0}, 1, 7)
			preds, err := c.Classify(map[string]*tensor.Tensor{"y": scores})
			if err != nil {
				t.Fatal(err)
			}
			if p := preds[0]; len(p) != DefaultTopK || p[0].Label != "3" || p[0].Score != 7 || p[1].Label != "1" {
				t.Errorf("predictions = %v; want the top %d of the raw scores labelled by index", p, DefaultTopK)
			}
		})
	}
}
