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
	// (0: preprocess.DefaultMaxPixels), in Infer and InferEach alike.
	MaxPixels int
	// Charge, when set, reserves the memory of each image from its header
	// before it is decoded, and refuses what does not fit.
	Charge codec.Charge
}

// budget is the request's budget for decoding its images.
func (r *Request) budget() *codec.Budget { return codec.NewBudget(r.MaxPixels, r.Charge) }

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
// asked for, turns encoded images into the image input's batch (under one
// budget of MaxPixels and Charge for all of them), runs the version's
// runner (input checks, shadow, batching, sessions), and picks and
// post-processes the outputs.
func (v *Version) Infer(ctx context.Context, req *Request) (*Response, error) {
	s, err := v.servable()
	if err != nil {
		return nil, err
	}
	inputs, err := s.inputs(req, req.budget())
	if err != nil {
		return nil, err
	}
	return s.infer(ctx, req, inputs)
}

// Recycle hands tensors of Infer's answers (Response.Outputs) that the
// caller has finished reading back to the engine, which may write later
// answers into their memory (engine.Recycler): the caller must not read
// them afterwards. Tensors the engine did not make are left alone, and so
// is everything when payloads are captured, shadowed or batched, or the
// version is a pipeline: those may still read the outputs.
func (v *Version) Recycle(ts ...*tensor.Tensor) {
	s, err := v.servable()
	if err != nil || s.captured || s.pipe != nil {
		return
	}
	runner.Recycle(s.run, ts)
}

// InferEach answers each of req's Images alone, in order, as Infer
// answers a request of that one image (a batch of one, which a model may
// be fixed to), with one Response per image. The images share one budget
// of MaxPixels and Charge, as in Infer, and the first image that fails
// ends the request. An image's error names it (`image 3` when ImageNames
// has no name for it): a decoding error as the codec names it (see
// codec.DecodeImages), any later one as a *codec.ImageError. An error
// about the model rather than the image (it takes no images, cannot rank
// image answers, or its batch is fixed to more than one) is returned
// unnamed, as Infer returns it.
func (v *Version) InferEach(ctx context.Context, req *Request) ([]*Response, error) {
	s, err := v.servable()
	if err != nil {
		return nil, err
	}
	if err := codec.CheckImageCount(len(req.Images)); err != nil {
		return nil, err
	}
	budget := req.budget()
	out := make([]*Response, len(req.Images))
	for i := range req.Images {
		name := fmt.Sprintf("image %d", i)
		if i < len(req.ImageNames) && req.ImageNames[i] != "" {
			name = req.ImageNames[i]
		}
		one := *req
		one.Images, one.ImageNames = req.Images[i:i+1], []string{name}
		inputs, err := s.inputs(&one, budget)
		if err != nil {
			return nil, err
		}
		if out[i], err = s.infer(ctx, &one, inputs); err != nil {
			return nil, &codec.ImageError{Name: name, Err: err}
		}
	}
	return out, nil
}

// infer runs a request's inputs and answers it.
func (s *servable) infer(ctx context.Context, req *Request, inputs map[string]*tensor.Tensor) (*Response, error) {
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

// inputs checks the request's outputs and returns the tensors to run, its
// encoded images decoded under budget.
func (s *servable) inputs(req *Request, budget *codec.Budget) (map[string]*tensor.Tensor, error) {
	c := s.codec
	if req.Images == nil {
		if err := s.checkOutputs(req.Outputs); err != nil {
			return nil, err
		}
		return c.DecodeInputs(req.Inputs, budget)
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
	t, err := c.ImagesTensor(req.Images, budget, name)
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
