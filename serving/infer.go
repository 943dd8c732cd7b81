package serving

import (
	"context"
	"fmt"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// Request is one inference request, whatever protocol it came in.
type Request struct {
	// Inputs are the tensors by input name. A BYTES tensor of shape [N]
	// given for the image input of a model with image preprocessing holds
	// N encoded images.
	Inputs map[string]*tensor.Tensor
	// Images, instead of Inputs, are encoded images for the image input,
	// answered with Predictions (the seed routes' image requests);
	// ImageNames names them in errors.
	Images     [][]byte
	ImageNames []string
	// Outputs are the outputs asked for, in order; none means every
	// output in the model's order, with Binary set to BinaryOutputs.
	Outputs       []OutputRequest
	BinaryOutputs bool
	// Predictions asks for the score output ranked as config.yaml says.
	Predictions bool
	// MaxPixels bounds the pixels of all the request's images together
	// (0: preprocess.DefaultMaxPixels).
	MaxPixels int
	// Charge, when set, reserves the memory of each image from its header
	// before it is decoded, and refuses what does not fit.
	Charge codec.Charge
}

// OutputRequest is an output a client asked for.
type OutputRequest struct {
	Name string
	// Classes > 0 asks for the classification extension: the top classes
	// as "score:index[:label]" BYTES instead of the tensor.
	Classes int
	// Binary is the protocol's own flag (binary tensor data), carried to
	// the answer.
	Binary bool
}

// Output is an output tensor on its way back to the client.
type Output struct {
	Name   string
	Tensor *tensor.Tensor
	Binary bool
}

// Response is the answer to a Request.
type Response struct {
	Outputs     []Output
	Predictions [][]codec.Prediction
}

// Infer is the inference path of every protocol: it checks the outputs
// asked for, turns encoded images into the image input's batch, runs the
// version's runner (input checks, shadow, batching, sessions), and picks
// and post-processes the outputs.
func (v *Version) Infer(ctx context.Context, req *Request) (*Response, error) {
	s, err := v.servable()
	if err != nil {
		return nil, err
	}
	inputs, err := s.inputs(req)
	if err != nil {
		return nil, err
	}
	if s.captured {
		ctx = s.withEncoded(ctx, req, inputs)
	}
	outs, err := s.run.Run(ctx, inputs)
	if err != nil {
		return nil, err
	}
	res := &Response{}
	if res.Outputs, err = s.selectOutputs(outs, req); err != nil {
		return nil, err
	}
	if req.Predictions {
		if res.Predictions, err = s.codec.Classify(outs); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// inputs checks the request's outputs and returns the tensors to run.
func (s *servable) inputs(req *Request) (map[string]*tensor.Tensor, error) {
	c := s.codec
	if req.Images == nil {
		if err := s.checkOutputs(req.Outputs); err != nil {
			return nil, err
		}
		return c.DecodeInputs(req.Inputs, req.MaxPixels, req.Charge)
	}
	if req.Predictions && c.AcceptsImages() && !c.IsClassifier() {
		return nil, fmt.Errorf("%w: model %q has no postprocess section in config.yaml, so image answers cannot be ranked; send JSON tensors", engine.ErrInvalidInput, s.model)
	}
	name := func(i int) string {
		if i < len(req.ImageNames) {
			return req.ImageNames[i]
		}
		return ""
	}
	t, err := c.ImagesTensor(req.Images, req.MaxPixels, req.Charge, name)
	if err != nil {
		return nil, err
	}
	return map[string]*tensor.Tensor{c.ImageInput(): t}, nil
}

// withEncoded returns ctx carrying the encoded images the codec decoded
// into inputs (runner.Encoded), for payload capture to keep them as sent.
func (s *servable) withEncoded(ctx context.Context, req *Request, inputs map[string]*tensor.Tensor) context.Context {
	name := s.codec.ImageInput()
	e := &runner.Encoded{Input: name, Decoded: inputs[name], Images: req.Images}
	if req.Images == nil {
		t := s.codec.EncodedImages(req.Inputs)
		if t == nil {
			return ctx
		}
		e.Strings = tensor.Data[string](t)
	}
	return runner.WithEncoded(ctx, e)
}

// checkOutputs validates requested outputs before anything runs: known
// names, no duplicates, classification only of score-like outputs.
func (s *servable) checkOutputs(reqs []OutputRequest) error {
	declared := s.codec.Outputs()
	seen := make(map[string]bool, len(reqs))
	for _, r := range reqs {
		if engine.IndexInfo(declared, r.Name) < 0 {
			return fmt.Errorf("%w: unknown output %q (model outputs: %v)", engine.ErrInvalidInput, r.Name, engine.InfoNames(declared))
		}
		if seen[r.Name] {
			return fmt.Errorf("%w: output %q is requested twice", engine.ErrInvalidInput, r.Name)
		}
		seen[r.Name] = true
		if r.Classes > 0 {
			if err := s.codec.CheckClassifiable(r.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// selectOutputs returns the requested outputs in request order, or every
// output in the model's order, with classification applied.
func (s *servable) selectOutputs(outs map[string]*tensor.Tensor, req *Request) ([]Output, error) {
	reqs := req.Outputs
	all := len(reqs) == 0
	if all {
		for _, d := range s.codec.Outputs() {
			reqs = append(reqs, OutputRequest{Name: d.Name, Binary: req.BinaryOutputs})
		}
	}
	res := make([]Output, 0, len(reqs))
	for _, r := range reqs {
		t, ok := outs[r.Name]
		switch {
		case !ok && s.pipe != nil && all:
			continue // a pipeline output whose step was skipped or failed softly
		case !ok && s.pipe != nil:
			return nil, fmt.Errorf("%w: output %q of pipeline %q is missing: its step was skipped or failed softly", ErrUnavailable, r.Name, s.model)
		case !ok:
			return nil, fmt.Errorf("model %q produced no output %q", s.model, r.Name)
		}
		if r.Classes > 0 {
			var err error
			if t, err = s.codec.ClassifyOutput(r.Name, t, r.Classes); err != nil {
				return nil, err
			}
		}
		res = append(res, Output{Name: r.Name, Tensor: t, Binary: r.Binary})
	}
	return res, nil
}
