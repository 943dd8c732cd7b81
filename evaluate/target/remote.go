package target

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/inferd/inferd/api/client"
	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/evaluate"
	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/tensor"
)

// Remote is a model version of a running server, reached over any
// protocol the client speaks (REST or gRPC). Classification scores come
// through the classification extension with every class, so the server's
// own softmax and labels apply.
type Remote struct {
	c        *client.Client
	model    *evaluate.Model
	output   string
	classify bool
}

var _ evaluate.Target = (*Remote)(nil)

// OpenRemote describes the server's model version ref ("" for the
// server's choice, a number or a label) from its metadata and one probe
// request, which also learns the class labels. first is the dataset's
// first row: it tells what the rows hold (table features, an image sent as
// a BYTES tensor for the image input, or v2 request inputs sent as they
// are) and is the probe.
func OpenRemote(ctx context.Context, c *client.Client, name, ref, output string, first *dataset.Row) (*Remote, error) {
	md, err := c.ModelMetadata(ctx, name, ref)
	if err != nil {
		return nil, err
	}
	outs, err := infos(md.Outputs)
	if err != nil {
		return nil, err
	}
	out, err := scoreOutput(outs, output, "")
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", name, err)
	}
	k, err := classesOf(out)
	if err != nil {
		return nil, err
	}
	ins, err := infos(md.Inputs)
	if err != nil {
		return nil, err
	}
	r := &Remote{c: c, output: out.Name, classify: k > 1}
	m := &evaluate.Model{Name: name, Version: ref, Images: first.Image != nil, Classes: []string{"value"}}
	describeInput(m, ins)
	if m.Images && len(ins) != 1 {
		return nil, fmt.Errorf("model %q has %d inputs: images fill one", name, len(ins))
	}
	r.model = m
	if k > 1 {
		if err := r.probe(ctx, k, first); err != nil {
			return nil, fmt.Errorf("model %q: probe request with %s: %w", name, first.Where(), err)
		}
	}
	return r, nil
}

func infos(ts []v2.TensorMetadata) ([]engine.TensorInfo, error) {
	out := make([]engine.TensorInfo, len(ts))
	for i, t := range ts {
		dt, err := v2.ParseDatatype(t.Datatype)
		if err != nil {
			return nil, err
		}
		shape := make([]int, len(t.Shape))
		for j, d := range t.Shape {
			shape[j] = int(d)
		}
		out[i] = engine.TensorInfo{Name: t.Name, DType: dt, Shape: shape}
	}
	return out, nil
}

// probe sends the first row and reads the class labels from the answer.
func (r *Remote) probe(ctx context.Context, k int, row *dataset.Row) error {
	r.model.Classes = evaluate.ClassNames(nil, k)
	rows, err := r.ask(ctx, []*dataset.Row{row})
	if err != nil {
		return err
	}
	for _, c := range rows[0] {
		if c.Label != "" && c.Index >= 0 && c.Index < k {
			r.model.Classes[c.Index] = c.Label
		}
	}
	return nil
}

// Model describes the version.
func (r *Remote) Model() *evaluate.Model { return r.model }

func (r *Remote) request(rows []*dataset.Row) (*client.InferRequest, error) {
	req := &client.InferRequest{Model: r.model.Name, Version: r.model.Version, Binary: true,
		Outputs: []client.RequestedOutput{{Name: r.output}}}
	if r.classify {
		req.Outputs[0].Classification = len(r.model.Classes)
	}
	if rows[0].Inputs != nil {
		in, err := evaluate.RequestInputs(rows)
		if err != nil {
			return nil, err
		}
		for _, name := range slices.Sorted(maps.Keys(in)) {
			req.Inputs = append(req.Inputs, client.Input{Name: name, Tensor: in[name]})
		}
		return req, nil
	}
	if r.model.Images {
		data := make([]string, len(rows))
		for i, row := range rows {
			if row.Image == nil {
				return nil, fmt.Errorf("%s: the dataset has table rows, but images were announced", row.Where())
			}
			data[i] = string(row.Image)
		}
		t, err := tensor.FromSlice(data, len(data))
		if err != nil {
			return nil, err
		}
		req.Inputs = []client.Input{{Name: r.model.Input, Tensor: t}}
		return req, nil
	}
	t, err := evaluate.FeatureTensor(r.model, rows)
	if err != nil {
		return nil, err
	}
	req.Inputs = []client.Input{{Name: r.model.Input, Tensor: t}}
	return req, nil
}

// infer sends the rows as one request and returns the score output.
func (r *Remote) infer(ctx context.Context, rows []*dataset.Row) (*tensor.Tensor, error) {
	req, err := r.request(rows)
	if err != nil {
		return nil, err
	}
	res, err := r.c.Infer(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.Version != "" {
		r.model.Version = res.Version // later batches go to the version that answered
	}
	t := res.Output(r.output)
	if t == nil {
		return nil, fmt.Errorf("answer has no output %q", r.output)
	}
	return t, nil
}

func (r *Remote) ask(ctx context.Context, rows []*dataset.Row) ([][]client.Classification, error) {
	t, err := r.infer(ctx, rows)
	if err != nil {
		return nil, err
	}
	return client.ParseClassifications(t)
}

// Predict sends the rows as one request.
func (r *Remote) Predict(ctx context.Context, rows []*dataset.Row) ([]float64, error) {
	if !r.classify {
		t, err := r.infer(ctx, rows)
		if err != nil {
			return nil, err
		}
		return scoresOf(nil, t, len(rows), 1, false)
	}
	ans, err := r.ask(ctx, rows)
	if err != nil {
		return nil, err
	}
	if len(ans) != len(rows) {
		return nil, fmt.Errorf("answer has %d rows, sent %d", len(ans), len(rows))
	}
	k := len(r.model.Classes)
	out := make([]float64, len(rows)*k)
	for i, row := range ans {
		for _, c := range row {
			if c.Index < 0 || c.Index >= k {
				return nil, fmt.Errorf("answer names class %d of %d", c.Index, k)
			}
			out[i*k+c.Index] = c.Score
		}
	}
	return out, nil
}

// Close does nothing: the client belongs to the caller.
func (r *Remote) Close() error { return nil }
