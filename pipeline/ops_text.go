package pipeline

import (
	"fmt"
	"strings"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/tensor"
)

// softmax: x FP32 [N, C] → y FP32 [N, C], each row's softmax.
type softmaxOp struct{}

func (softmaxOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	if err := want(in, "x"); err != nil {
		return nil, err
	}
	if err := wantScores("x", in["x"], 2); err != nil {
		return nil, err
	}
	return []engine.TensorInfo{info("y", tensor.Float32, in["x"].Shape...)}, nil
}

func (softmaxOp) run(in, dst map[string]*tensor.Tensor) error {
	x, n, c, err := rows2("x", in["x"])
	if err != nil {
		return err
	}
	out := make([]float32, n*c)
	row := make([]float64, c)
	for i := range n {
		for j := range c {
			row[j] = float64(x[i*c+j])
		}
		for j, v := range codec.SoftmaxTo(row, row) {
			out[i*c+j] = float32(v)
		}
	}
	dst["y"] = tensor.MustFromSlice(out, n, c)
	return nil
}

// join: x BYTES [M] → output BYTES [1], the strings joined with
// Separator (read-number joins the digits it read into the number).
type joinOp struct{ Separator string }

func newJoin(e opEnv) (op, error) {
	o := joinOp{}
	return o, e.decode(&o)
}

func (joinOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	if err := want(in, "x"); err != nil {
		return nil, err
	}
	if x := in["x"]; x.DType != tensor.String || (x.Shape != nil && len(x.Shape) != 1) {
		return nil, fmt.Errorf("input \"x\" is %v %v; want BYTES of rank 1", x.DType, x.Shape)
	}
	return []engine.TensorInfo{info("output", tensor.String, 1)}, nil
}

func (o joinOp) run(in, dst map[string]*tensor.Tensor) error {
	s := strings.Join(tensor.Data[string](in["x"]), o.Separator)
	dst["output"] = tensor.MustFromSlice([]string{s}, 1)
	return nil
}
