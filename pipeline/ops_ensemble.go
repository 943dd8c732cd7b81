package pipeline

import (
	"errors"
	"fmt"
	"slices"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/tensor"
)

// ensemble merges the scores of several model steps (inputs FP32 [N, C],
// in name order) → output: mean (FP32 [N, C], after a softmax of each
// input's rows when Softmax is set), vote (INT64 [N], the class most
// inputs rank first; ties go to the lower class) or concat (FP32
// [N, C1+C2+…], along the last dimension). Inputs from soft or skipped
// steps may be missing: the ensemble merges those present.
type ensembleOp struct {
	Mode    string
	Softmax bool
}

func newEnsemble(e opEnv) (op, error) {
	o := ensembleOp{}
	if err := e.decode(&o); err != nil {
		return nil, err
	}
	if !slices.Contains([]string{"mean", "vote", "concat"}, o.Mode) {
		return nil, fmt.Errorf("args.mode: %q is not mean, vote or concat", o.Mode)
	}
	return o, nil
}

func (ensembleOp) partial() {}

func (o ensembleOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	if len(in) < 2 {
		return nil, errors.New("an ensemble needs at least two inputs")
	}
	for _, n := range sortedNames(in) {
		if err := wantScores(n, in[n], 2); err != nil {
			return nil, err
		}
	}
	first := in[sortedNames(in)[0]]
	n := batchOf(first)
	if o.Mode != "concat" {
		if _, err := sameKind(in); err != nil {
			return nil, err
		}
	}
	switch o.Mode {
	case "vote":
		return []engine.TensorInfo{info("output", tensor.Int64, n)}, nil
	case "concat":
		c := 0
		for _, t := range in {
			if t.Shape == nil || t.Shape[1] < 0 {
				c = -1
				break
			}
			c += t.Shape[1]
		}
		return []engine.TensorInfo{info("output", tensor.Float32, n, c)}, nil
	}
	for _, name := range sortedNames(in) { // the same error every time
		if t := in[name]; first.Shape != nil && t.Shape != nil && !engine.ShapesCompatible(t.Shape, first.Shape) {
			return nil, fmt.Errorf("input %q has shape %v, others %v: mean needs one shape", name, t.Shape, first.Shape)
		}
	}
	c := -1
	if first.Shape != nil {
		c = first.Shape[1]
	}
	return []engine.TensorInfo{info("output", tensor.Float32, n, c)}, nil
}

func (o ensembleOp) run(in, dst map[string]*tensor.Tensor) error {
	var xs [][]float32
	n, c := -1, -1
	cols := []int{}
	for _, name := range sortedNames(in) {
		x, rows, cs, err := rows2(name, in[name])
		if err != nil {
			return err
		}
		if n >= 0 && rows != n {
			return fmt.Errorf("%w: ensemble: input %q has %d rows, others %d", engine.ErrInvalidInput, name, rows, n)
		}
		if o.Mode != "concat" && c >= 0 && cs != c {
			return fmt.Errorf("%w: ensemble: input %q has %d classes, others %d", engine.ErrInvalidInput, name, cs, c)
		}
		n, c = rows, cs
		xs, cols = append(xs, x), append(cols, cs)
	}
	var out *tensor.Tensor
	switch o.Mode {
	case "mean":
		out = o.mean(xs, n, c)
	case "vote":
		out = vote(xs, n, c)
	default:
		out = concatCols(xs, n, cols)
	}
	dst["output"] = out
	return nil
}

func (o ensembleOp) mean(xs [][]float32, n, c int) *tensor.Tensor {
	sum := make([]float64, n*c)
	row := make([]float64, c)
	for _, x := range xs {
		for i := range n {
			for j := range c {
				row[j] = float64(x[i*c+j])
			}
			if o.Softmax {
				codec.SoftmaxTo(row, row)
			}
			for j, v := range row {
				sum[i*c+j] += v
			}
		}
	}
	out := make([]float32, n*c)
	for i, v := range sum {
		out[i] = float32(v / float64(len(xs)))
	}
	return tensor.MustFromSlice(out, n, c)
}

func vote(xs [][]float32, n, c int) *tensor.Tensor {
	out := make([]int64, n)
	votes := make([]int, c)
	for i := range n {
		clear(votes)
		for _, x := range xs {
			row := x[i*c : (i+1)*c]
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			votes[best]++
		}
		best := 0
		for j, v := range votes {
			if v > votes[best] {
				best = j
			}
		}
		out[i] = int64(best)
	}
	return tensor.MustFromSlice(out, n)
}

func concatCols(xs [][]float32, n int, cols []int) *tensor.Tensor {
	total := 0
	for _, c := range cols {
		total += c
	}
	out := make([]float32, 0, n*total)
	for i := range n {
		for k, x := range xs {
			out = append(out, x[i*cols[k]:(i+1)*cols[k]]...)
		}
	}
	return tensor.MustFromSlice(out, n, total)
}
