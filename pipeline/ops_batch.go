package pipeline

import (
	"errors"
	"fmt"
	"slices"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// concat joins its inputs, in name order, along the batch (first)
// dimension → output.
type concatOp struct{}

func (concatOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	t, err := sameKind(in)
	if err != nil {
		return nil, err
	}
	shape := slices.Clone(t.Shape)
	if len(shape) > 0 {
		shape[0] = -1
	}
	return []engine.TensorInfo{info("output", t.DType, shape...)}, nil
}

func (concatOp) run(in, dst map[string]*tensor.Tensor) error {
	ts := make([]*tensor.Tensor, 0, len(in))
	for _, n := range sortedNames(in) {
		ts = append(ts, in[n])
	}
	out, err := tensor.Concat(ts...)
	if err != nil {
		return fmt.Errorf("%w: concat: %v", engine.ErrInvalidInput, err)
	}
	dst["output"] = out
	return nil
}

// sameKind checks that there are inputs and that they have one datatype
// and compatible shapes (the first dimension may differ); it returns the
// first's declaration.
func sameKind(in map[string]engine.TensorInfo) (engine.TensorInfo, error) {
	names := sortedNames(in)
	if len(names) == 0 {
		return engine.TensorInfo{}, errors.New("at least one input is required")
	}
	first := in[names[0]]
	for _, n := range names[1:] {
		t := in[n]
		if t.DType != first.DType {
			return first, fmt.Errorf("input %q is %v but input %q is %v", n, t.DType, names[0], first.DType)
		}
		if first.Shape != nil && t.Shape != nil && (len(t.Shape) != len(first.Shape) || len(t.Shape) > 0 && !engine.ShapesCompatible(t.Shape[1:], first.Shape[1:])) {
			return first, fmt.Errorf("input %q has shape %v but input %q has %v", n, t.Shape, names[0], first.Shape)
		}
	}
	return first, nil
}

// split cuts x along the batch into parts of Sizes rows → part0, part1, …
type splitOp struct{ Sizes []int }

func newSplit(e opEnv) (op, error) {
	o := splitOp{}
	if err := e.decode(&o); err != nil {
		return nil, err
	}
	if len(o.Sizes) < 2 || slices.ContainsFunc(o.Sizes, func(n int) bool { return n <= 0 }) {
		return nil, errors.New("args.sizes: at least two positive row counts are required")
	}
	return o, nil
}

func (o splitOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	if err := want(in, "x"); err != nil {
		return nil, err
	}
	x := in["x"]
	if x.Shape != nil && len(x.Shape) == 0 {
		return nil, errors.New(`input "x" is a scalar`)
	}
	total := 0
	for _, n := range o.Sizes {
		total += n
	}
	if b := batchOf(x); b >= 0 && b != total {
		return nil, fmt.Errorf("args.sizes add up to %d rows but input \"x\" has %d", total, b)
	}
	outs := make([]engine.TensorInfo, len(o.Sizes))
	for i, n := range o.Sizes {
		shape := []int(nil)
		if x.Shape != nil {
			shape = append([]int{n}, x.Shape[1:]...)
		}
		outs[i] = info(fmt.Sprintf("part%d", i), x.DType, shape...)
	}
	return outs, nil
}

func (o splitOp) run(in, dst map[string]*tensor.Tensor) error {
	parts, err := tensor.Split(in["x"], o.Sizes)
	if err != nil {
		return fmt.Errorf("%w: split: %v", engine.ErrInvalidInput, err)
	}
	for i, p := range parts {
		dst[fmt.Sprintf("part%d", i)] = p
	}
	return nil
}

// gather picks rows of x by indices (INT64 [M]) → output [M, …].
type gatherOp struct{}

func (gatherOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	if err := want(in, "x", "indices"); err != nil {
		return nil, err
	}
	if idx := in["indices"]; idx.DType != tensor.Int64 || (idx.Shape != nil && len(idx.Shape) != 1) {
		return nil, fmt.Errorf("input \"indices\" is %v %v; want INT64 of rank 1", idx.DType, idx.Shape)
	}
	x := in["x"]
	if x.Shape == nil {
		return []engine.TensorInfo{info("output", x.DType)}, nil
	}
	if len(x.Shape) == 0 {
		return nil, errors.New(`input "x" is a scalar`)
	}
	return []engine.TensorInfo{info("output", x.DType, append([]int{-1}, x.Shape[1:]...)...)}, nil
}

func (gatherOp) run(in, dst map[string]*tensor.Tensor) error {
	out, err := gatherRows(in["x"], tensor.Data[int64](in["indices"]))
	if err != nil {
		return err
	}
	dst["output"] = out
	return nil
}

// gatherRows returns the rows idx of t, in that order, in a new tensor.
func gatherRows(t *tensor.Tensor, idx []int64) (*tensor.Tensor, error) {
	if t.Rank() == 0 {
		return nil, fmt.Errorf("%w: cannot pick rows of a scalar", engine.ErrInvalidInput)
	}
	if err := checkOutputSize("picking rows", int64(len(idx))*int64(tensor.NumElements(t.Shape()[1:]))); err != nil {
		return nil, err
	}
	g, err := tensor.GatherRows(t, idx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", engine.ErrInvalidInput, err)
	}
	return g, nil
}

// first answers with its first present input in name order: the merge of
// a switch, whose branches run under opposite conditions.
type firstOp struct{}

func (firstOp) partial() {}

func (firstOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	t, err := sameKind(in)
	if err != nil {
		return nil, err
	}
	return []engine.TensorInfo{info("output", t.DType, t.Shape...)}, nil
}

func (firstOp) run(in, dst map[string]*tensor.Tensor) error {
	names := sortedNames(in)
	dst["output"] = in[names[0]]
	return nil
}
