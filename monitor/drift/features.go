package drift

import (
	"math"
	"strconv"

	"github.com/inferd/inferd/tensor"
)

// MaxElementFeatures is the largest per-row element count of a tensor
// whose elements become features of their own (larger inputs, such as
// images, are profiled through summary features only).
const MaxElementFeatures = 256

// Row is the features of one request row.
type Row struct {
	Num map[string]float64
	Cat map[string]string
}

// Extract turns a request's inputs and outputs (the first dimension is the
// batch) into feature rows. Classes are their indexes, so that profiles
// do not depend on the labels file.
func Extract(inputs, outputs map[string]*tensor.Tensor) []Row {
	rows := batchRows(inputs)
	out := make([]Row, rows)
	for i := range out {
		out[i] = Row{Num: map[string]float64{}, Cat: map[string]string{}}
	}
	for name, t := range inputs {
		for i := range rows {
			inputFeatures(out[i], name, t, i)
		}
	}
	for name, t := range outputs {
		if !t.DType().IsFloat() || t.Rank() == 0 || t.Shape()[0] != rows {
			continue
		}
		for i := range rows {
			outputFeatures(out[i], name, rowValues(t, i))
		}
	}
	return out
}

func batchRows(ts map[string]*tensor.Tensor) int {
	for _, t := range ts {
		if t.Rank() == 0 {
			return 1
		}
		return t.Shape()[0]
	}
	return 0
}

// RowValues returns row i of t (its first dimension is the batch) as
// floats, nil for non-numeric tensors.
func RowValues(t *tensor.Tensor, i int) []float64 { return rowValues(t, i) }

// rowValues returns row i of t as floats (nil for non-numeric tensors).
func rowValues(t *tensor.Tensor, i int) []float64 {
	if t.Rank() == 0 {
		i = 0
	}
	per := t.Len()
	if t.Rank() > 0 && t.Shape()[0] > 0 {
		per = t.Len() / t.Shape()[0]
	}
	out := make([]float64, per)
	for j := range out {
		v, ok := number(t, i*per+j)
		if !ok {
			return nil
		}
		out[j] = v
	}
	return out
}

func number(t *tensor.Tensor, i int) (float64, bool) {
	switch d := t.Data().(type) {
	case []float32:
		return float64(d[i]), true
	case []float64:
		return d[i], true
	case []uint16:
		if t.DType() == tensor.Float16 {
			return float64(tensor.Float16ToFloat32(d[i])), true
		}
		return float64(d[i]), true
	case []uint8:
		return float64(d[i]), true
	case []int8:
		return float64(d[i]), true
	case []int16:
		return float64(d[i]), true
	case []int32:
		return float64(d[i]), true
	case []int64:
		return float64(d[i]), true
	case []uint32:
		return float64(d[i]), true
	case []uint64:
		return float64(d[i]), true
	case []bool:
		if d[i] {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// inputFeatures adds row i of input t: its elements when there are few,
// and for image-like tensors (rank 4) and encoded images (BYTES, as
// capture keeps them) summary features.
func inputFeatures(r Row, name string, t *tensor.Tensor, i int) {
	if t.DType() == tensor.String {
		if s, ok := t.Data().([]string); ok && t.Len() == batchOf(t) && !encodedImageFeatures(r, name, s[i]) {
			r.Cat[name] = s[i]
		}
		return
	}
	vals := rowValues(t, i)
	if vals == nil {
		return
	}
	if len(vals) <= MaxElementFeatures {
		for j, v := range vals {
			r.Num[name+"["+strconv.Itoa(j)+"]"] = v
		}
	}
	if t.Rank() == 4 {
		imageFeatures(r, name, t.Shape(), vals)
	}
}

func batchOf(t *tensor.Tensor) int {
	if t.Rank() == 0 {
		return 1
	}
	return t.Shape()[0]
}

// imageFeatures adds brightness (mean), contrast (standard deviation),
// size and, for several channels, each channel's mean. The channel axis
// is 1 (NCHW) when it is at most 4, else the last (NHWC).
func imageFeatures(r Row, name string, shape []int, vals []float64) {
	mean, std := meanStd(vals)
	r.Num[name+".brightness"], r.Num[name+".contrast"] = mean, std
	c, h, w, nchw := shape[1], shape[2], shape[3], true
	if shape[1] > 4 {
		h, w, c, nchw = shape[1], shape[2], shape[3], false
	}
	r.Num[name+".height"], r.Num[name+".width"] = float64(h), float64(w)
	if c < 2 {
		return
	}
	for ch := range c {
		sum := 0.0
		for p := range h * w {
			if nchw {
				sum += vals[ch*h*w+p]
			} else {
				sum += vals[p*c+ch]
			}
		}
		r.Num[name+".channel"+strconv.Itoa(ch)+".mean"] = sum / float64(h*w)
	}
}

func meanStd(vals []float64) (float64, float64) {
	if len(vals) == 0 {
		return math.NaN(), math.NaN()
	}
	sum, sq := 0.0, 0.0
	for _, v := range vals {
		sum += v
	}
	mean := sum / float64(len(vals))
	for _, v := range vals {
		sq += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sq / float64(len(vals)))
}

// outputFeatures adds an output row: a single value as itself; scores as
// the predicted class (its index) and its confidence (the softmax of the
// scores, unless they already are probabilities).
func outputFeatures(r Row, name string, vals []float64) {
	switch len(vals) {
	case 0:
		return
	case 1:
		r.Num[name] = vals[0]
		return
	}
	best := 0
	for j, v := range vals {
		if v > vals[best] {
			best = j
		}
	}
	r.Cat[name+".class"] = strconv.Itoa(best)
	r.Num[name+".confidence"] = confidence(vals, best)
}

// confidence is the probability of class best: the score itself when the
// scores are probabilities (in [0, 1], summing to 1), else its softmax.
func confidence(vals []float64, best int) float64 {
	sum, probs := 0.0, true
	for _, v := range vals {
		sum += v
		probs = probs && v >= 0 && v <= 1
	}
	if probs && math.Abs(sum-1) < 1e-3 {
		return vals[best]
	}
	z := 0.0
	for _, v := range vals {
		z += math.Exp(v - vals[best])
	}
	return 1 / z
}
