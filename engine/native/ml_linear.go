package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// LinearClassifier and LinearRegressor: scores = X·coefficientsᵀ +
// intercepts, then the post_transform. A classifier's label is the class
// with the highest score; with a single row of coefficients and two labels
// (a binary model stored as one score) the label is the second class when
// the score is positive (above 0.5 after LOGISTIC) and the scores output
// has two columns, [1-p, p] after LOGISTIC, [-s, s] otherwise.

func init() {
	registerML("LinearClassifier", 1, buildLinearClassifier)
	registerML("LinearRegressor", 1, buildLinearRegressor)
}

type linearModel struct {
	coef, intercepts []float64
	rows             int
}

func parseLinear(b *buildCtx) (linearModel, error) {
	var m linearModel
	c, err := b.floatsAttr("coefficients")
	if err != nil {
		return m, err
	}
	in, err := b.floatsAttr("intercepts")
	if err != nil {
		return m, err
	}
	if len(c) == 0 {
		return m, b.errorf("attribute coefficients is required")
	}
	m.coef = make([]float64, len(c))
	castSlice(m.coef, c)
	m.intercepts = make([]float64, len(in))
	castSlice(m.intercepts, in)
	return m, nil
}

// scores computes X·coefᵀ + intercepts for rows of c features, with
// len(coef)/c outputs.
func (m linearModel) scores(op string, x []float64, n, c int) ([]float64, int, error) {
	if c == 0 || len(m.coef)%c != 0 {
		return nil, 0, fmt.Errorf("%s has %d coefficients, not a multiple of %d features", op, len(m.coef), c)
	}
	t := len(m.coef) / c
	if len(m.intercepts) != 0 && len(m.intercepts) != t {
		return nil, 0, fmt.Errorf("%s has %d intercepts for %d outputs", op, len(m.intercepts), t)
	}
	res := make([]float64, n*t)
	for i := range n {
		row := x[i*c : (i+1)*c]
		for j := range t {
			s := 0.0
			if len(m.intercepts) > 0 {
				s = m.intercepts[j]
			}
			for f, v := range row {
				s += v * m.coef[j*c+f]
			}
			res[i*t+j] = s
		}
	}
	return res, t, nil
}

func buildLinearClassifier(b *buildCtx) (kernel, error) {
	m, err := parseLinear(b)
	if err != nil {
		return nil, err
	}
	labels, err := parseClassLabels(b)
	if err != nil {
		return nil, err
	}
	pt, err := parsePostTransform(b)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x, n, c, err := mlFloats("LinearClassifier", in[0])
		if err != nil {
			return err
		}
		s, t, err := m.scores("LinearClassifier", x, n, c)
		if err != nil {
			return err
		}
		idx, scores, cols, err := classify(s, n, t, labels, pt)
		if err != nil {
			return fmt.Errorf("LinearClassifier: %w", err)
		}
		out[0] = labels.output(idx)
		if len(out) > 1 {
			out[1] = scoresTensor(scores, n, cols)
		}
		return nil
	}), nil
}

// classify turns raw scores (n rows of t) into labels and transformed
// scores, handling the single-score binary form.
func classify(s []float64, n, t int, labels classLabels, pt postTransform) (idx []int, scores []float64, cols int, err error) {
	idx = make([]int, n)
	if t == 1 && labels.len() == 2 {
		scores = make([]float64, 2*n)
		for i := range n {
			v := []float64{s[i]}
			pt.apply(v)
			threshold := 0.0
			if pt == "LOGISTIC" {
				threshold = 0.5
				scores[2*i], scores[2*i+1] = 1-v[0], v[0]
			} else {
				scores[2*i], scores[2*i+1] = -v[0], v[0]
			}
			if v[0] > threshold {
				idx[i] = 1
			}
		}
		return idx, scores, 2, nil
	}
	if t != labels.len() {
		return nil, nil, 0, fmt.Errorf("%d scores per row for %d class labels", t, labels.len())
	}
	for i := range n {
		row := s[i*t : (i+1)*t]
		pt.apply(row)
		idx[i] = argmax(row)
	}
	return idx, s, t, nil
}

func buildLinearRegressor(b *buildCtx) (kernel, error) {
	m, err := parseLinear(b)
	if err != nil {
		return nil, err
	}
	pt, err := parsePostTransform(b)
	if err != nil {
		return nil, err
	}
	targets, err := b.intAttr("targets", 1)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x, n, c, err := mlFloats("LinearRegressor", in[0])
		if err != nil {
			return err
		}
		s, t, err := m.scores("LinearRegressor", x, n, c)
		if err != nil {
			return err
		}
		if int64(t) != targets {
			return fmt.Errorf("LinearRegressor has %d outputs per row, attribute targets says %d", t, targets)
		}
		for i := range n {
			pt.apply(s[i*t : (i+1)*t])
		}
		out[0] = scoresTensor(s, n, t)
		return nil
	}), nil
}
