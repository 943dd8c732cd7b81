package native

import (
	"errors"
	"fmt"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Sequence operators (opset 11 onwards): SequenceEmpty, SequenceConstruct,
// SequenceInsert, SequenceAt, SequenceErase, SequenceLength,
// SplitToSequence and ConcatFromSequence. Sequences are onnx.Values of
// kind sequence whose elements are tensors; tensors entering a sequence
// are copied (see valueKernel).

func init() {
	registerSince("SequenceEmpty", 11, valueBuilder(sequenceEmpty))
	registerSince("SequenceConstruct", 11, valueBuilder(sequenceConstruct))
	registerSince("SequenceInsert", 11, valueBuilder(sequenceInsert))
	registerSince("SequenceAt", 11, valueBuilder(sequenceAt))
	registerSince("SequenceErase", 11, valueBuilder(sequenceErase))
	registerSince("SequenceLength", 11, valueBuilder(sequenceLength))
	registerSince("SplitToSequence", 11, buildSplitToSequence)
	registerSince("ConcatFromSequence", 11, buildConcatFromSequence)
}

// valueBuilder is the builder of an operator without attributes whose
// kernel is f.
func valueBuilder(f valueFunc) builder {
	return func(*buildCtx) (kernel, error) { return f, nil }
}

// sequenceEmpty returns an empty sequence.
func sequenceEmpty(rc *runCtx, in, out []*onnx.Value) error {
	out[0] = &onnx.Value{Kind: onnx.KindSequence, Elems: []*onnx.Value{}}
	return nil
}

// sequenceConstruct returns the sequence of its input tensors, copied.
func sequenceConstruct(rc *runCtx, in, out []*onnx.Value) error {
	seq := &onnx.Value{Kind: onnx.KindSequence}
	for i, v := range in {
		t, err := tensorOf(v, i)
		if err != nil {
			return err
		}
		seq.Elems = append(seq.Elems, &onnx.Value{Kind: onnx.KindTensor, Tensor: t.Clone()})
	}
	return checkSequence(seq, out)
}

// sequenceInsert returns the sequence with a copy of the tensor inserted at
// the position (the end without one).
func sequenceInsert(rc *runCtx, in, out []*onnx.Value) error {
	seq, err := sequenceOf(in[0])
	if err != nil {
		return err
	}
	t, err := tensorOf(in[1], 1)
	if err != nil {
		return err
	}
	pos := len(seq.Elems)
	if len(in) > 2 && in[2] != nil {
		// Negative positions count from the end as Python's
		// list.insert does: valid positions are [-n, n].
		v, err := oneInt64(in[2], 2, errPositionNotOne)
		if err != nil {
			return err
		}
		n := int64(len(seq.Elems))
		if v < -n || v > n {
			return fmt.Errorf("position %d out of range for %d elements", v, n)
		}
		pos = int(v)
		if pos < 0 {
			pos += int(n)
		}
	}
	elems := append(append(append([]*onnx.Value(nil), seq.Elems[:pos]...), &onnx.Value{Kind: onnx.KindTensor, Tensor: t.Clone()}), seq.Elems[pos:]...)
	return checkSequence(&onnx.Value{Kind: onnx.KindSequence, Elems: elems}, out)
}

// sequenceAt returns the element at the position.
func sequenceAt(rc *runCtx, in, out []*onnx.Value) error {
	seq, err := sequenceOf(in[0])
	if err != nil {
		return err
	}
	pos, err := sequencePosition(in[1], len(seq.Elems))
	if err != nil {
		return err
	}
	out[0] = seq.Elems[pos]
	return nil
}

// sequenceErase returns the sequence without the element at the position
// (the last without one).
func sequenceErase(rc *runCtx, in, out []*onnx.Value) error {
	seq, err := sequenceOf(in[0])
	if err != nil {
		return err
	}
	pos := len(seq.Elems) - 1
	if len(in) > 1 && in[1] != nil {
		if pos, err = sequencePosition(in[1], len(seq.Elems)); err != nil {
			return err
		}
	} else if pos < 0 {
		return fmt.Errorf("SequenceErase on an empty sequence")
	}
	elems := append(append([]*onnx.Value(nil), seq.Elems[:pos]...), seq.Elems[pos+1:]...)
	out[0] = &onnx.Value{Kind: onnx.KindSequence, Elems: elems}
	return nil
}

// sequenceLength returns the number of elements as an int64 scalar.
func sequenceLength(rc *runCtx, in, out []*onnx.Value) error {
	seq, err := sequenceOf(in[0])
	if err != nil {
		return err
	}
	out[0] = &onnx.Value{Kind: onnx.KindTensor, Tensor: tensor.Scalar(int64(len(seq.Elems)))}
	return nil
}

// valueFunc adapts a function to a value-only kernel.
type valueFunc func(rc *runCtx, in, out []*onnx.Value) error

func (f valueFunc) runValues(rc *runCtx, in, out []*onnx.Value) error { return f(rc, in, out) }
func (valueFunc) run(*runCtx, []*tensor.Tensor, []*tensor.Tensor) error {
	return valueOnly{}.run(nil, nil, nil)
}
func (valueFunc) valuesOnly() {}

func sequenceOf(v *onnx.Value) (*onnx.Value, error) {
	if v == nil || v.Kind != onnx.KindSequence {
		return nil, fmt.Errorf("expected a sequence, got a %s", kindOf(v))
	}
	return v, nil
}

func tensorOf(v *onnx.Value, i int) (*tensor.Tensor, error) {
	if v == nil || v.Kind != onnx.KindTensor || v.Tensor == nil {
		return nil, fmt.Errorf("input %d: expected a tensor, got a %s", i, kindOf(v))
	}
	return v.Tensor, nil
}

func kindOf(v *onnx.Value) string {
	if v == nil {
		return "missing value"
	}
	return v.Kind.String()
}

// sequencePosition reads a position input (negative counts from the end)
// valid in [0, n).
func sequencePosition(v *onnx.Value, n int) (int, error) {
	p, err := oneInt64(v, 1, errPositionNotOne)
	if err != nil {
		return 0, err
	}
	i := int(p)
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return 0, fmt.Errorf("position %d out of range for %d elements", p, n)
	}
	return i, nil
}

// errPositionNotOne is the sequence operators' error for a position that
// is not one integer.
const errPositionNotOne = "position must be one int32 or int64 value"

// oneInt64 reads input i, v, as a tensor of one int32 or int64 value; a
// tensor of another type or size gets the error notOne.
func oneInt64(v *onnx.Value, i int, notOne string) (int64, error) {
	t, err := tensorOf(v, i)
	if err != nil {
		return 0, err
	}
	x, err := int64sOf(t)
	if err != nil || len(x) != 1 {
		return 0, errors.New(notOne)
	}
	return x[0], nil
}

// checkSequence verifies that the elements share a type and sets out[0].
func checkSequence(seq *onnx.Value, out []*onnx.Value) error {
	for _, e := range seq.Elems {
		if e.Tensor.DType() != seq.Elems[0].Tensor.DType() {
			return fmt.Errorf("sequence elements have different types %v and %v", seq.Elems[0].Tensor.DType(), e.Tensor.DType())
		}
	}
	out[0] = seq
	return nil
}

func buildSplitToSequence(b *buildCtx) (kernel, error) {
	axis, err := b.intAttr("axis", 0)
	if err != nil {
		return nil, err
	}
	keepDims, err := b.boolAttr("keepdims", true)
	if err != nil {
		return nil, err
	}
	return valueFunc(func(rc *runCtx, in, out []*onnx.Value) error {
		x, err := tensorOf(in[0], 0)
		if err != nil {
			return err
		}
		a, ok := normAxis(axis, x.Rank())
		if !ok {
			return fmt.Errorf("SplitToSequence axis %d out of range for shape %v", axis, x.Shape())
		}
		dim := x.Shape()[a]
		var sizes []int
		squeeze := false
		switch {
		case len(in) < 2 || in[1] == nil:
			sizes = make([]int, dim)
			for i := range sizes {
				sizes[i] = 1
			}
			squeeze = !keepDims
		default:
			st, err := tensorOf(in[1], 1)
			if err != nil {
				return err
			}
			v, err := intsOf(st)
			if err != nil {
				return fmt.Errorf("SplitToSequence split: %w", err)
			}
			if st.Rank() == 0 {
				if v[0] <= 0 {
					return fmt.Errorf("SplitToSequence split %d must be positive", v[0])
				}
				for left := dim; left > 0; left -= v[0] {
					sizes = append(sizes, min(v[0], left))
				}
			} else {
				sizes = v
			}
		}
		seq := &onnx.Value{Kind: onnx.KindSequence, Elems: []*onnx.Value{}}
		start := 0
		for _, s := range sizes {
			if s < 0 || start+s > dim {
				return fmt.Errorf("SplitToSequence sizes %v do not fit dimension %d", sizes, dim)
			}
			base, shape, strides, err := sliceLayout(x.Shape(), []int64{int64(start)}, []int64{int64(start + s)}, []int64{int64(a)}, nil)
			if err != nil {
				return err
			}
			part := tensor.New(x.DType(), shape...)
			copyStrided(rc, part, x, base, strides)
			if squeeze {
				shape = append(append([]int(nil), shape[:a]...), shape[a+1:]...)
				if part, err = part.Reshape(shape...); err != nil {
					return err
				}
			}
			seq.Elems = append(seq.Elems, &onnx.Value{Kind: onnx.KindTensor, Tensor: part})
			start += s
		}
		if start != dim {
			return fmt.Errorf("SplitToSequence sizes %v do not sum to dimension %d", sizes, dim)
		}
		out[0] = seq
		return nil
	}), nil
}

func buildConcatFromSequence(b *buildCtx) (kernel, error) {
	if !b.node.Has("axis") {
		return nil, b.errorf("attribute axis is required")
	}
	axis, err := b.intAttr("axis", 0)
	if err != nil {
		return nil, err
	}
	newAxis, err := b.boolAttr("new_axis", false)
	if err != nil {
		return nil, err
	}
	concat, err := buildConcat(&buildCtx{node: &onnx.Node{OpType: "Concat", Attrs: map[string]*onnx.Attribute{
		"axis": {Name: "axis", Type: onnx.AttrInt, Int: axis}}}})
	if err != nil {
		return nil, err
	}
	return valueFunc(func(rc *runCtx, in, out []*onnx.Value) error {
		seq, err := sequenceOf(in[0])
		if err != nil {
			return err
		}
		if len(seq.Elems) == 0 {
			return fmt.Errorf("ConcatFromSequence of an empty sequence")
		}
		parts := make([]*tensor.Tensor, len(seq.Elems))
		for i, e := range seq.Elems {
			parts[i] = e.Tensor
			if newAxis {
				r := e.Tensor.Rank() + 1
				a, ok := normAxis(axis, r)
				if !ok {
					return fmt.Errorf("ConcatFromSequence axis %d out of range for rank %d", axis, r)
				}
				s := e.Tensor.Shape()
				shape := append(append(append([]int(nil), s[:a]...), 1), s[a:]...)
				if parts[i], err = e.Tensor.Reshape(shape...); err != nil {
					return err
				}
			}
		}
		res := make([]*tensor.Tensor, 1)
		if err := concat.run(rc, parts, res); err != nil {
			return err
		}
		out[0] = &onnx.Value{Kind: onnx.KindTensor, Tensor: res[0]}
		return nil
	}), nil
}
