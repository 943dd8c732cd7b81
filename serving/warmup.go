package serving

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io/fs"
	"strings"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/tensor"
)

// warmup runs a freshly loaded session runs times before the version
// becomes AVAILABLE.
func warmup(ctx context.Context, sess engine.Session, feed map[string]*tensor.Tensor, runs int) error {
	for i := range runs {
		if _, err := sess.Run(ctx, feed); err != nil {
			return fmt.Errorf("run %d of %d: %w", i+1, runs, err)
		}
	}
	return nil
}

// warmupInputs reads the sample (an image, or JSON tensors) from the
// model's directory, or makes zero tensors of the declared shapes,
// variable dimensions set to 1.
func warmupInputs(fsys fs.FS, c *codec.Codec, w *model.Warmup) (map[string]*tensor.Tensor, error) {
	inputs := c.Inputs()
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
	data, err := fs.ReadFile(fsys, w.Sample)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(w.Sample, ".json") {
		return jsonSample(w.Sample, data, inputs)
	}
	if !c.AcceptsImages() {
		return nil, fmt.Errorf("sample %s is an image but the model has no image preprocessing", w.Sample)
	}
	img, err := preprocess.DecodeImage(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", w.Sample, err)
	}
	t, err := c.ImageTensor([]image.Image{img})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", w.Sample, err)
	}
	return map[string]*tensor.Tensor{c.ImageInput(): t}, nil
}

// jsonSample decodes a {"inputs": {...}} warm-up sample.
func jsonSample(name string, data []byte, inputs []engine.TensorInfo) (map[string]*tensor.Tensor, error) {
	var req struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal(data, &req); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	feed := map[string]*tensor.Tensor{}
	for _, in := range inputs {
		raw, ok := req.Inputs[in.Name]
		if !ok {
			return nil, fmt.Errorf("%s has no input %q", name, in.Name)
		}
		t, err := tensor.FromJSON(raw, in.DType)
		if err != nil {
			return nil, fmt.Errorf("%s: input %q: %w", name, in.Name, err)
		}
		feed[in.Name] = t
	}
	return feed, nil
}
