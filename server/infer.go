package server

import (
	"context"
	"fmt"
	"image"
	"maps"
	"strconv"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// The inference path every protocol shares: an adapter decodes its request
// into tensors and output requests, run validates and runs them through
// serving, and selectOutputs picks and post-processes what the client
// asked for; the adapter encodes the result.

// outputRequest is an output a client asked for.
type outputRequest struct {
	name string
	// classes > 0 asks for the classification extension: the top classes
	// as "score:index[:label]" BYTES instead of the tensor.
	classes int
	// binary asks for binary data (the REST binary tensor data extension).
	binary bool
}

// namedOutput is an output tensor on its way back to the client.
type namedOutput struct {
	name   string
	t      *tensor.Tensor
	binary bool
}

// run runs inputs on v. A BYTES tensor given for the image input of a model
// with image preprocessing holds encoded images (PNG, JPEG, WebP), one per
// element: they are decoded and preprocessed into the input's batch first.
func (s *Server) run(ctx context.Context, v *serving.Version, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	inputs, err := s.imageInputs(v, inputs)
	if err != nil {
		return nil, err
	}
	return v.Run(ctx, inputs)
}

// imageInputs replaces encoded images given as BYTES for the image input
// by the preprocessed batch.
func (s *Server) imageInputs(v *serving.Version, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	name := v.ImageInput()
	t, ok := inputs[name]
	if name == "" || !ok || t.DType() != tensor.String {
		return inputs, nil
	}
	for _, in := range v.Inputs() {
		if in.Name == name && in.DType == tensor.String {
			return inputs, nil // the model itself takes BYTES
		}
	}
	if t.Rank() != 1 || t.Len() == 0 {
		return nil, fmt.Errorf("%w: input %q: encoded images go in a BYTES tensor of shape [N], one image per element; got shape %v", engine.ErrInvalidInput, name, t.Shape())
	}
	budget := s.maxPixels // pixels left for this request
	imgs := make([]image.Image, t.Len())
	for i, data := range tensor.Data[string](t) {
		if budget <= 0 {
			return nil, fmt.Errorf("input %q image %d: %w: the request's images exceed the limit of %d pixels", name, i, preprocess.ErrImageTooLarge, s.maxPixels)
		}
		img, err := preprocess.DecodeImage([]byte(data), budget)
		if err != nil {
			return nil, fmt.Errorf("input %q image %d: %w", name, i, err)
		}
		budget -= img.Bounds().Dx() * img.Bounds().Dy()
		imgs[i] = img
	}
	x, err := v.ImageTensor(imgs)
	if err != nil {
		return nil, err
	}
	out := maps.Clone(inputs)
	out[name] = x
	return out, nil
}

// checkOutputs validates requested outputs before anything runs: known
// names, no duplicates, classification only of score-like outputs.
func checkOutputs(v *serving.Version, reqs []outputRequest) error {
	declared := v.Outputs()
	seen := map[string]bool{}
	for _, r := range reqs {
		i := indexInfo(declared, r.name)
		if i < 0 {
			return fmt.Errorf("%w: unknown output %q (model outputs: %v)", engine.ErrInvalidInput, r.name, engine.InfoNames(declared))
		}
		if seen[r.name] {
			return fmt.Errorf("%w: output %q is requested twice", engine.ErrInvalidInput, r.name)
		}
		seen[r.name] = true
		if r.classes > 0 {
			if d := declared[i]; !d.DType.IsFloat() || d.DType == tensor.Float16 || d.Shape != nil && (len(d.Shape) < 1 || len(d.Shape) > 2) {
				return fmt.Errorf("%w: output %q (%v%v) cannot be classified: classification needs FP32 or FP64 scores of shape [classes] or [batch, classes]", engine.ErrInvalidInput, r.name, d.DType, d.Shape)
			}
		}
	}
	return nil
}

func indexInfo(infos []engine.TensorInfo, name string) int {
	for i, in := range infos {
		if in.Name == name {
			return i
		}
	}
	return -1
}

// selectOutputs returns the requested outputs in request order, or every
// output in the model's order when none is requested (then binaryAll says
// whether they travel as binary data), with classification applied.
func selectOutputs(v *serving.Version, outs map[string]*tensor.Tensor, reqs []outputRequest, binaryAll bool) ([]namedOutput, error) {
	if len(reqs) == 0 {
		for _, d := range v.Outputs() {
			reqs = append(reqs, outputRequest{name: d.Name, binary: binaryAll})
		}
	}
	res := make([]namedOutput, 0, len(reqs))
	for _, r := range reqs {
		t, ok := outs[r.name]
		if !ok {
			return nil, fmt.Errorf("model %q produced no output %q", v.Model, r.name)
		}
		if r.classes > 0 {
			var err error
			if t, err = classifyOutput(v, r.name, t, r.classes); err != nil {
				return nil, err
			}
		}
		res = append(res, namedOutput{name: r.name, t: t, binary: r.binary})
	}
	return res, nil
}

// classifyOutput implements the classification extension: the top k
// classes of each row of scores as "score:index:label" strings ("score:index"
// without labels). The model's postprocess settings (softmax, labels) apply
// to the output they name.
func classifyOutput(v *serving.Version, name string, scores *tensor.Tensor, k int) (*tensor.Tensor, error) {
	c := preprocess.Classifier{TopK: k}
	if p := v.Config.Postprocess; p != nil && (p.Output == name || p.Output == "" && len(v.Outputs()) == 1) {
		c.Softmax, c.Labels = p.Softmax, v.Config.Labels
	}
	rows, err := c.Rank(scores)
	if err != nil {
		return nil, fmt.Errorf("classifying output %q: %w", name, err)
	}
	var data []string
	for _, row := range rows {
		for _, p := range row {
			s := strconv.FormatFloat(p.Score, 'g', -1, 32) + ":" + strconv.Itoa(p.Index)
			if len(c.Labels) > 0 {
				s += ":" + p.Label
			}
			data = append(data, s)
		}
	}
	kk := 0
	if len(rows) > 0 {
		kk = len(rows[0])
	}
	if scores.Rank() == 1 {
		return tensor.FromSlice(data, kk)
	}
	return tensor.FromSlice(data, len(rows), kk)
}
