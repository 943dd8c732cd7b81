package evaluate

import (
	"context"
	"fmt"
	"slices"

	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/tensor"
)

// Model describes the version a Target runs.
type Model struct {
	Name, Version string
	// Classes are the class labels in score order ("0".."K-1" without
	// labels); one class means a regression model's single value.
	Classes []string
	// Input is the input that table rows fill, Shape its per-sample shape
	// (without the batch) and DType its type.
	Input string
	Shape []int
	DType tensor.DType
	// Images is set when the model takes encoded images (rows with an
	// image are sent as images, table rows fill Input).
	Images bool
	// TableErr says why table rows cannot fill the model's input (several
	// inputs, a variable sample shape); nil when they can. Images and v2
	// requests may still serve such a model.
	TableErr error
}

// Target runs batches of dataset rows through one model version.
type Target interface {
	Model() *Model
	// Predict returns len(rows)×len(Classes) scores, row-major: class
	// probabilities (softmax applied when the model's config asks for
	// it), or one value per row for regression.
	Predict(ctx context.Context, rows []*dataset.Row) ([]float64, error)
	Close() error
}

// TensorPredictor is a Target that can run table rows from a feature
// tensor built ahead of time and turn its answer into scores apart from
// the run: Run builds the tensor, and computes the scores, on the
// goroutine that reads and records, so that the one running the model
// does little besides the model.
type TensorPredictor interface {
	// RunTensor runs the rows whose features are stacked in features
	// (FeatureTensor's result) and returns the score output as the model
	// answered it; it must not keep features after it returns.
	RunTensor(ctx context.Context, features *tensor.Tensor) (*tensor.Tensor, error)
	// Scores appends to dst Predict's scores for the rows rows of
	// RunTensor's output out.
	Scores(dst []float64, out *tensor.Tensor, rows int) ([]float64, error)
	// Recycle hands back RunTensor's output out once it has been read
	// (Run hands an FP32 or FP64 output back right after RunTensor, once
	// copied into storage its batch reuses, from the batch's second use
	// on; others after Scores): the target may reuse its memory for later
	// answers. Run calls it from either of its goroutines.
	Recycle(out *tensor.Tensor)
}

// Warmer is a Target whose first runs at a batch size carry one-off
// costs: an in-process engine plans and sizes its buffers for a new input
// shape on its first runs (the native engine's first two runs of the
// digits CNN at 32 rows took 4–7 ms, against 0.15 ms after). Run calls
// Warm before its loop and its timings start, as `inferd perf` runs its
// warm-up before it times; a server warms itself, so a remote target has
// nothing to warm.
type Warmer interface {
	// Warm runs the model on a batch of rows rows, untimed, and discards
	// the answers: a few times the first time at that size, enough to
	// make it the last shape the model ran after.
	Warm(ctx context.Context, rows int) error
}

// FeatureTensor stacks the rows' features into the model's input: a
// batch of len(rows) samples of m.Shape, of m.DType. A row with the wrong
// number of features is an error naming it.
func FeatureTensor(m *Model, rows []*dataset.Row) (*tensor.Tensor, error) {
	return (&FeatureBuffer{}).Tensor(m, rows)
}

// FeatureBuffer is FeatureTensor's storage, reused from one batch to the
// next: each Tensor overwrites the previous one's values.
type FeatureBuffer struct {
	f32 []float32
	f64 []float64
}

// Tensor is FeatureTensor in the buffer's storage.
func (b *FeatureBuffer) Tensor(m *Model, rows []*dataset.Row) (*tensor.Tensor, error) {
	if m.TableErr != nil {
		return nil, fmt.Errorf("%s: %w", rows[0].Where(), m.TableErr)
	}
	per := tensor.NumElements(m.Shape)
	shape := append([]int{len(rows)}, m.Shape...)
	switch m.DType {
	case tensor.Float32:
		data := resize(b.f32, len(rows)*per)[:0] // grown once, not in append's steps
		for _, r := range rows {
			if err := checkWidth(m, r, per); err != nil {
				return nil, err
			}
			for _, v := range r.Features {
				data = append(data, float32(v))
			}
		}
		b.f32 = data
		return tensor.FromSlice(data, shape...)
	case tensor.Float64:
		data := resize(b.f64, len(rows)*per)[:0]
		for _, r := range rows {
			if err := checkWidth(m, r, per); err != nil {
				return nil, err
			}
			data = append(data, r.Features...)
		}
		b.f64 = data
		return tensor.FromSlice(data, shape...)
	}
	return nil, fmt.Errorf("input %q is %v: table rows fill FP32 or FP64 inputs only", m.Input, m.DType)
}

// RequestInputs stacks the rows' v2 request inputs into one batch per
// input. Every row must have the same inputs, of the same sample shape
// and type.
func RequestInputs(rows []*dataset.Row) (map[string]*tensor.Tensor, error) {
	out := make(map[string]*tensor.Tensor, len(rows[0].Inputs))
	parts := make([]*tensor.Tensor, len(rows))
	for name := range rows[0].Inputs {
		for i, r := range rows {
			if parts[i] = r.Inputs[name]; parts[i] == nil {
				return nil, r.Errorf("no input %q, which %s has: every request needs the same inputs", name, rows[0].Where())
			}
			if len(r.Inputs) != len(rows[0].Inputs) {
				return nil, r.Errorf("%d inputs, %s has %d: every request needs the same inputs", len(r.Inputs), rows[0].Where(), len(rows[0].Inputs))
			}
		}
		t, err := tensor.Concat(parts...)
		if err != nil {
			return nil, fmt.Errorf("rows %s to %s: input %q: %w", rows[0].Where(), rows[len(rows)-1].Where(), name, err)
		}
		out[name] = t
	}
	return out, nil
}

func checkWidth(m *Model, r *dataset.Row, per int) error {
	if len(r.Features) != per {
		return r.Errorf("%d feature values, but input %q takes %d per sample (shape %v)", len(r.Features), m.Input, per, m.Shape)
	}
	return nil
}

// SampleShape is an input's per-sample shape: its declared shape without
// the batch dimension, which must be fixed.
func SampleShape(input string, shape []int) ([]int, error) {
	if len(shape) == 0 {
		return nil, fmt.Errorf("input %q has no batch dimension", input)
	}
	s := slices.Clone(shape[1:])
	for _, d := range s {
		if d < 0 {
			return nil, fmt.Errorf("input %q has a variable dimension besides the batch (shape %v): evaluation needs fixed sample shapes", input, shape)
		}
	}
	return s, nil
}

// ClassNames are labels, or "0".."k-1" without them.
func ClassNames(labels []string, k int) []string {
	if len(labels) == k {
		return slices.Clone(labels)
	}
	out := make([]string, k)
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}
