package codec

import (
	"fmt"
	"math"
	"sort"

	"github.com/inferd/inferd/tensor"
)

// Prediction is one ranked class.
type Prediction struct {
	Label string  `json:"label"`
	Index int     `json:"index"`
	Score float64 `json:"score"`
}

// Classifier ranks the classes of a score tensor.
type Classifier struct {
	Softmax bool
	TopK    int
	Labels  []string
}

// Rank returns the top-k predictions for each row of scores, a [N, C] (or
// [C], one row) float tensor.
func (c Classifier) Rank(scores *tensor.Tensor) ([][]Prediction, error) {
	rows, classes, err := rowsOf(scores)
	if err != nil {
		return nil, err
	}
	if len(c.Labels) > 0 && len(c.Labels) != classes {
		return nil, fmt.Errorf("model output has %d classes but %d labels are configured", classes, len(c.Labels))
	}
	k := min(max(c.TopK, 1), classes)
	out := make([][]Prediction, len(rows))
	idx := make([]int, classes)
	for r, row := range rows {
		for j, v := range row {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("model output row %d has NaN at class %d", r, j)
			}
		}
		if c.Softmax {
			row = Softmax(row)
		}
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
		preds := make([]Prediction, k)
		for i := range k {
			j := idx[i]
			label := fmt.Sprint(j)
			if len(c.Labels) > 0 {
				label = c.Labels[j]
			}
			preds[i] = Prediction{Label: label, Index: j, Score: row[j]}
		}
		out[r] = preds
	}
	return out, nil
}

// rowsOf splits a [N,C] or [C] float tensor into float64 rows.
func rowsOf(t *tensor.Tensor) ([][]float64, int, error) {
	shape := t.Shape()
	var n, c int
	switch len(shape) {
	case 1:
		n, c = 1, shape[0]
	case 2:
		n, c = shape[0], shape[1]
	default:
		return nil, 0, fmt.Errorf("class scores must be [batch, classes], got shape %v", shape)
	}
	if c == 0 {
		return nil, 0, fmt.Errorf("class scores have no classes (shape %v)", shape)
	}
	flat := make([]float64, n*c)
	switch t.DType() {
	case tensor.Float32:
		for i, v := range tensor.Data[float32](t) {
			flat[i] = float64(v)
		}
	case tensor.Float64:
		copy(flat, tensor.Data[float64](t))
	default:
		return nil, 0, fmt.Errorf("class scores must be FP32 or FP64, got %v", t.DType())
	}
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = flat[i*c : (i+1)*c]
	}
	return rows, c, nil
}

// Softmax returns exp(x - max) normalised, computed stably.
func Softmax(x []float64) []float64 { return SoftmaxTo(make([]float64, len(x)), x) }

// SoftmaxTo is Softmax written to dst (len(x) long; it may be x itself),
// which it returns.
func SoftmaxTo(dst, x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	for i, v := range x {
		dst[i] = math.Exp(v - m)
		sum += dst[i]
	}
	for i := range dst {
		dst[i] /= sum
	}
	return dst
}
