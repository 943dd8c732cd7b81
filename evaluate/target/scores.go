package target

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// scoresOf appends a [N, K], [N] or [N, 1] float output to dst as
// float64 scores, with softmax over each row when asked.
func scoresOf(dst []float64, t *tensor.Tensor, rows, k int, softmax bool) ([]float64, error) {
	if t.Len() != rows*k {
		return nil, fmt.Errorf("output %v holds %d values, want %d rows of %d", t, t.Len(), rows, k)
	}
	n := len(dst)
	switch t.DType() {
	case tensor.Float32:
		for _, v := range tensor.Data[float32](t) {
			dst = append(dst, float64(v))
		}
	case tensor.Float64:
		dst = append(dst, tensor.Data[float64](t)...)
	default:
		return nil, fmt.Errorf("output %v is not FP32 or FP64 scores", t)
	}
	if out := dst[n:]; softmax && k > 1 {
		for r := range rows {
			softmaxRow(out[r*k : (r+1)*k])
		}
	}
	return dst, nil
}

func softmaxRow(x []float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	sum := 0.0
	for i, v := range x {
		x[i] = math.Exp(v - m)
		sum += x[i]
	}
	for i := range x {
		x[i] /= sum
	}
}

// scoreOutput picks the output to evaluate: the one asked for, else the
// configured score output, else the only float output of shape [N, K] or
// [N].
func scoreOutput(outputs []engine.TensorInfo, asked, configured string) (engine.TensorInfo, error) {
	name := asked
	if name == "" {
		name = configured
	}
	if name != "" {
		i := engine.IndexInfo(outputs, name)
		if i < 0 {
			return engine.TensorInfo{}, fmt.Errorf("no output %q (outputs: %v)", name, engine.InfoNames(outputs))
		}
		return outputs[i], nil
	}
	var found []engine.TensorInfo
	for _, o := range outputs {
		if (o.DType == tensor.Float32 || o.DType == tensor.Float64) && (len(o.Shape) == 1 || len(o.Shape) == 2) {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		return engine.TensorInfo{}, fmt.Errorf("cannot tell which output holds the scores (outputs: %v); name it with --output", engine.InfoNames(outputs))
	}
	return found[0], nil
}

// classesOf is the number of scores per row of an output: its last
// dimension for [N, K], 1 for [N].
func classesOf(o engine.TensorInfo) (int, error) {
	if len(o.Shape) == 2 {
		if o.Shape[1] <= 0 {
			return 0, fmt.Errorf("output %q has a variable number of classes (shape %v)", o.Name, o.Shape)
		}
		return o.Shape[1], nil
	}
	return 1, nil
}
