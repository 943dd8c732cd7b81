package pipeline

import (
	"errors"
	"fmt"
	"sort"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// argmax: x FP32 [N, C] → index INT64 [N], score FP32 [N].
type argmaxOp struct{}

func newArgmax(opEnv) (op, error) { return argmaxOp{}, nil }

func (argmaxOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	if err := want(in, "x"); err != nil {
		return nil, err
	}
	if err := wantScores("x", in["x"], 2); err != nil {
		return nil, err
	}
	n := batchOf(in["x"])
	return []engine.TensorInfo{info("index", tensor.Int64, n), info("score", tensor.Float32, n)}, nil
}

func (argmaxOp) run(in, dst map[string]*tensor.Tensor) error {
	x, n, c, err := rows2("x", in["x"])
	if err != nil {
		return err
	}
	if c == 0 {
		return fmt.Errorf("%w: argmax of 0 classes", engine.ErrInvalidInput)
	}
	idx, score := make([]int64, n), make([]float32, n)
	for i := range n {
		row := x[i*c : (i+1)*c]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		idx[i], score[i] = int64(best), row[best]
	}
	dst["index"], dst["score"] = tensor.MustFromSlice(idx, n), tensor.MustFromSlice(score, n)
	return nil
}

// topk: x FP32 [N, C] → indices INT64 [N, k], scores FP32 [N, k], best
// first (ties: the lower index first).
type topKOp struct{ K int }

func newTopK(e opEnv) (op, error) {
	o := topKOp{}
	if err := e.decode(&o); err != nil {
		return nil, err
	}
	if o.K <= 0 {
		return nil, errors.New("args.k: must be positive")
	}
	return o, nil
}

func (o topKOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	if err := want(in, "x"); err != nil {
		return nil, err
	}
	x := in["x"]
	if err := wantScores("x", x, 2); err != nil {
		return nil, err
	}
	if x.Shape != nil && x.Shape[1] >= 0 && x.Shape[1] < o.K {
		return nil, fmt.Errorf("args.k: %d is more than the %d classes of input \"x\"", o.K, x.Shape[1])
	}
	n := batchOf(x)
	return []engine.TensorInfo{info("indices", tensor.Int64, n, o.K), info("scores", tensor.Float32, n, o.K)}, nil
}

func (o topKOp) run(in, dst map[string]*tensor.Tensor) error {
	x, n, c, err := rows2("x", in["x"])
	if err != nil {
		return err
	}
	if c < o.K {
		return fmt.Errorf("%w: top %d of %d classes", engine.ErrInvalidInput, o.K, c)
	}
	idx, scores := make([]int64, 0, n*o.K), make([]float32, 0, n*o.K)
	order := make([]int, c)
	for i := range n {
		row := x[i*c : (i+1)*c]
		for j := range order {
			order[j] = j
		}
		sort.SliceStable(order, func(a, b int) bool { return row[order[a]] > row[order[b]] })
		for _, j := range order[:o.K] {
			idx, scores = append(idx, int64(j)), append(scores, row[j])
		}
	}
	dst["indices"], dst["scores"] = tensor.MustFromSlice(idx, n, o.K), tensor.MustFromSlice(scores, n, o.K)
	return nil
}

// threshold keeps the rows whose score is at least Min: scores FP32 [N]
// and any other inputs with N rows → the same names with the kept rows,
// and indices INT64 [M], the kept rows' numbers.
type thresholdOp struct{ Min float32 }

func newThreshold(e opEnv) (op, error) {
	o := thresholdOp{}
	if err := e.decode(&o); err != nil {
		return nil, err
	}
	return o, nil
}

func (thresholdOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	s, ok := in["scores"]
	if !ok {
		return nil, errors.New(`input "scores" is required`)
	}
	if err := wantScores("scores", s, 1); err != nil {
		return nil, err
	}
	var outs []engine.TensorInfo
	for _, name := range sortedNames(in) {
		t := in[name]
		if len(t.Shape) == 0 && t.Shape != nil {
			return nil, fmt.Errorf("input %q is a scalar; threshold keeps rows", name)
		}
		if name == "indices" {
			return nil, errors.New(`input "indices" would clash with the output of that name`)
		}
		shape := append([]int{-1}, t.Shape[min(1, len(t.Shape)):]...)
		if t.Shape == nil {
			shape = nil
		}
		outs = append(outs, info(name, t.DType, shape...))
	}
	return append(outs, info("indices", tensor.Int64, -1)), nil
}

func (o thresholdOp) run(in, dst map[string]*tensor.Tensor) error {
	s := in["scores"]
	scores := tensor.Data[float32](s)
	var keep []int64
	for i, v := range scores {
		if v >= o.Min {
			keep = append(keep, int64(i))
		}
	}
	dst["indices"] = tensor.MustFromSlice(keep, len(keep))
	for name, t := range in {
		g, err := gatherRows(t, keep)
		if err != nil {
			return fmt.Errorf("input %q: %w", name, err)
		}
		dst[name] = g
	}
	return nil
}

// labels turns class indices (INT64, any shape) into their labels (BYTES,
// same shape): the labels given, or a model's (its postprocess.labels).
type labelsOp struct {
	Labels []string
	Model  string
}

func newLabels(e opEnv) (op, error) {
	o := &labelsOp{}
	if err := e.decode(o); err != nil {
		return nil, err
	}
	switch {
	case (len(o.Labels) == 0) == (o.Model == ""):
		return nil, errors.New("args: exactly one of labels and model is required")
	case o.Model != "":
		t, err := e.models.Resolve(o.Model, "")
		if err != nil {
			return nil, fmt.Errorf("args.model: %w", err)
		}
		if o.Labels = t.Labels; len(o.Labels) == 0 {
			return nil, fmt.Errorf("args.model: model %q has no labels (postprocess.labels)", o.Model)
		}
	}
	return *o, nil
}

func (labelsOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	if err := want(in, "index"); err != nil {
		return nil, err
	}
	if in["index"].DType != tensor.Int64 {
		return nil, fmt.Errorf("input \"index\" is %v; want INT64", in["index"].DType)
	}
	return []engine.TensorInfo{info("label", tensor.String, in["index"].Shape...)}, nil
}

func (o labelsOp) run(in, dst map[string]*tensor.Tensor) error {
	t := in["index"]
	idx := tensor.Data[int64](t)
	out := make([]string, len(idx))
	for i, k := range idx {
		if k < 0 || int(k) >= len(o.Labels) {
			return fmt.Errorf("%w: class %d has no label (%d labels)", engine.ErrInvalidInput, k, len(o.Labels))
		}
		out[i] = o.Labels[k]
	}
	dst["label"] = tensor.MustFromSlice(out, t.Shape()...)
	return nil
}
