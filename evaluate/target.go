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

// FeatureTensor stacks the rows' features into the model's input: a
// batch of len(rows) samples of m.Shape, of m.DType. A row with the wrong
// number of features is an error naming it.
func FeatureTensor(m *Model, rows []*dataset.Row) (*tensor.Tensor, error) {
	per := tensor.NumElements(m.Shape)
	shape := append([]int{len(rows)}, m.Shape...)
	switch m.DType {
	case tensor.Float32:
		data := make([]float32, 0, per*len(rows))
		for _, r := range rows {
			if err := checkWidth(m, r, per); err != nil {
				return nil, err
			}
			for _, v := range r.Features {
				data = append(data, float32(v))
			}
		}
		return tensor.FromSlice(data, shape...)
	case tensor.Float64:
		data := make([]float64, 0, per*len(rows))
		for _, r := range rows {
			if err := checkWidth(m, r, per); err != nil {
				return nil, err
			}
			data = append(data, r.Features...)
		}
		return tensor.FromSlice(data, shape...)
	}
	return nil, fmt.Errorf("input %q is %v: table rows fill FP32 or FP64 inputs only", m.Input, m.DType)
}

func checkWidth(m *Model, r *dataset.Row, per int) error {
	if len(r.Features) != per {
		return &dataset.Error{File: r.File, Line: r.Line, Err: fmt.Errorf("%w: %d feature values, but input %q takes %d per sample (shape %v)", dataset.ErrData, len(r.Features), m.Input, per, m.Shape)}
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
