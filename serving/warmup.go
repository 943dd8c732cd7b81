package serving

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/tensor"
)

// warmup runs a freshly loaded session w.Runs times before the version
// becomes AVAILABLE.
func (v *Version) warmup(ctx context.Context, sess engine.Session, inputs []engine.TensorInfo, w *model.Warmup) error {
	feed, err := v.warmupInputs(inputs, w)
	if err != nil {
		return err
	}
	for i := range w.Runs {
		if _, err := sess.Run(ctx, feed); err != nil {
			return fmt.Errorf("run %d of %d: %w", i+1, w.Runs, err)
		}
	}
	return nil
}

// warmupInputs reads the sample (an image, or JSON tensors) or makes zero
// tensors of the declared shapes, variable dimensions set to 1.
func (v *Version) warmupInputs(inputs []engine.TensorInfo, w *model.Warmup) (map[string]*tensor.Tensor, error) {
	if w.Sample == "" {
		feed := map[string]*tensor.Tensor{}
		for _, in := range inputs {
			shape := make([]int, len(in.Shape))
			for i, d := range in.Shape {
				shape[i] = max(d, 1)
			}
			feed[in.Name] = tensor.New(in.DType, shape...)
		}
		return feed, nil
	}
	path := filepath.Join(v.Config.Dir, w.Sample)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(w.Sample, ".json") {
		var req struct {
			Inputs map[string]json.RawMessage `json:"inputs"`
		}
		if err := json.Unmarshal(data, &req); err != nil {
			return nil, fmt.Errorf("%s: %w", w.Sample, err)
		}
		feed := map[string]*tensor.Tensor{}
		for _, in := range inputs {
			raw, ok := req.Inputs[in.Name]
			if !ok {
				return nil, fmt.Errorf("%s has no input %q", w.Sample, in.Name)
			}
			if feed[in.Name], err = tensor.FromJSON(raw, in.DType); err != nil {
				return nil, fmt.Errorf("%s: input %q: %w", w.Sample, in.Name, err)
			}
		}
		return feed, nil
	}
	if v.image == nil {
		return nil, fmt.Errorf("sample %s is an image but the model has no image preprocessing", w.Sample)
	}
	img, err := preprocess.DecodeImage(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", w.Sample, err)
	}
	t, err := v.image.Tensor([]image.Image{img})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", w.Sample, err)
	}
	return map[string]*tensor.Tensor{v.image.InputName(): t}, nil
}
