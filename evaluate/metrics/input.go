package metrics

import (
	"errors"
	"fmt"
)

// Scores are class scores, row-major: Data[i*K+c] is the score of class c
// for sample i.
type Scores struct {
	K    int
	Data []float64
}

// Rows is the number of samples.
func (s Scores) Rows() int {
	if s.K == 0 {
		return 0
	}
	return len(s.Data) / s.K
}

// Row is sample i's scores.
func (s Scores) Row(i int) []float64 { return s.Data[i*s.K : (i+1)*s.K] }

// ErrInput is wrapped by errors about inconsistent inputs.
var ErrInput = errors.New("metrics: bad input")

// weight is sample i's weight.
func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// check verifies that labels, scores and weights agree in length and that
// labels are in [0, k).
func check(yTrue, yPred []int, s *Scores, w []float64, k int) error {
	n := len(yTrue)
	if n == 0 {
		return fmt.Errorf("%w: no samples", ErrInput)
	}
	if yPred != nil && len(yPred) != n {
		return fmt.Errorf("%w: %d true labels but %d predictions", ErrInput, n, len(yPred))
	}
	if s != nil && (s.K <= 0 || len(s.Data) != n*s.K) {
		return fmt.Errorf("%w: %d scores for %d samples of %d classes", ErrInput, len(s.Data), n, s.K)
	}
	if w != nil && len(w) != n {
		return fmt.Errorf("%w: %d weights for %d samples", ErrInput, len(w), n)
	}
	for i, y := range yTrue {
		if y < 0 || (k > 0 && y >= k) {
			return fmt.Errorf("%w: sample %d: class %d out of range [0, %d)", ErrInput, i, y, k)
		}
		if yPred != nil && (yPred[i] < 0 || (k > 0 && yPred[i] >= k)) {
			return fmt.Errorf("%w: sample %d: predicted class %d out of range [0, %d)", ErrInput, i, yPred[i], k)
		}
	}
	return nil
}

// numClasses is one more than the largest label.
func numClasses(ys ...[]int) int {
	k := 0
	for _, y := range ys {
		for _, v := range y {
			k = max(k, v+1)
		}
	}
	return k
}
