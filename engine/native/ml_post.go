package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// What the ONNX-ML classifiers and regressors share: the post_transform of
// their scores and their label output.

// postTransform is an ONNX-ML score transform.
type postTransform string

func parsePostTransform(b *buildCtx) (postTransform, error) {
	pt, err := b.stringAttr("post_transform", "NONE")
	if err != nil {
		return "", err
	}
	switch pt {
	case "NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT":
		return postTransform(pt), nil
	}
	return "", b.errorf("unsupported post_transform %q", pt)
}

// apply transforms one row of scores in place.
func (pt postTransform) apply(row []float64) {
	switch pt {
	case "LOGISTIC":
		for i, v := range row {
			row[i] = sigmoid(v)
		}
	case "SOFTMAX", "SOFTMAX_ZERO":
		mx := math.Inf(-1)
		for _, v := range row {
			mx = max(mx, v)
		}
		var s float64
		for i, v := range row {
			if pt == "SOFTMAX_ZERO" && v == 0 {
				row[i] = 0
				continue
			}
			row[i] = math.Exp(v - mx)
			s += row[i]
		}
		for i := range row {
			if s > 0 {
				row[i] /= s
			}
		}
	case "PROBIT":
		for i, v := range row {
			row[i] = math.Sqrt2 * math.Erfinv(2*v-1)
		}
	}
}

// classLabels are a classifier's labels: strings or int64s.
type classLabels struct {
	strs []string
	ints []int64
}

func parseClassLabels(b *buildCtx) (classLabels, error) {
	var l classLabels
	var err error
	if l.strs, err = b.stringsAttr("classlabels_strings"); err != nil {
		return l, err
	}
	if l.ints, err = b.intsAttr("classlabels_ints"); err != nil {
		return l, err
	}
	if l.ints == nil {
		if l.ints, err = b.intsAttr("classlabels_int64s"); err != nil {
			return l, err
		}
	}
	if (l.strs == nil) == (l.ints == nil) {
		return l, b.errorf("exactly one of classlabels_strings and classlabels_ints is required")
	}
	return l, nil
}

func (l classLabels) len() int { return max(len(l.strs), len(l.ints)) }

// output builds the label tensor of the chosen class indices.
func (l classLabels) output(idx []int) *tensor.Tensor {
	if l.strs != nil {
		s := make([]string, len(idx))
		for i, k := range idx {
			s[i] = l.strs[k]
		}
		return tensor.MustFromSlice(s, len(s))
	}
	v := make([]int64, len(idx))
	for i, k := range idx {
		v[i] = l.ints[k]
	}
	return tensor.MustFromSlice(v, len(v))
}

// argmax returns the index of the largest value, the first on ties.
func argmax(row []float64) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}

// scoresTensor makes the float32 [n, c] scores output.
func scoresTensor(v []float64, n, c int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, n, c)
	castSlice(t.Data(), v)
	return t
}

// checkFeatures verifies the feature count of an ML operator's input.
func checkFeatures(op string, c, want int) error {
	if c != want {
		return fmt.Errorf("%s expects %d features, got %d", op, want, c)
	}
	return nil
}
