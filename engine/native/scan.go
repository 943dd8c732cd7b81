package native

import (
	"fmt"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Scan: a body run once per position of its scan inputs, carrying state.
// From opset 9 scan inputs and outputs have configurable axes and
// directions; opset 8 has a leading batch axis on every input and output,
// the scan axis second, an optional sequence_lens input and directions
// for the scan inputs, which this implementation runs batch by batch.

func init() { register("Scan", buildScan) }

type scanKernel struct {
	valueOnly
	body                           *plan
	explicit, nState, nIn, nOut    int
	inAxes, inDirs, outAxes, outDs []int64
	opset8                         bool
}

func buildScan(b *buildCtx) (kernel, error) {
	k := &scanKernel{explicit: b.numExplicit(), opset8: b.opset < 9}
	var err error
	if k.body, err = b.subPlan("body"); err != nil {
		return nil, err
	}
	m, err := b.intAttr("num_scan_inputs", -1)
	if err != nil {
		return nil, err
	}
	k.nIn = int(m)
	first := 0
	if k.opset8 {
		first = 1
	}
	k.nState = k.explicit - first - k.nIn
	if m < 1 || k.nState < 0 {
		return nil, b.errorf("num_scan_inputs %d does not fit %d inputs", m, k.explicit)
	}
	k.nOut = len(b.node.Outputs) - k.nState
	if len(k.body.inputIDs) != k.nState+k.nIn || len(k.body.outputIDs) != k.nState+k.nOut || k.nOut < 0 {
		return nil, b.errorf("Scan body has %d inputs and %d outputs for %d states, %d scan inputs and %d node outputs",
			len(k.body.inputIDs), len(k.body.outputIDs), k.nState, k.nIn, len(b.node.Outputs))
	}
	read := func(name string, n int) ([]int64, error) {
		v, err := b.intsAttr(name)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return make([]int64, n), nil
		}
		if len(v) != n {
			return nil, b.errorf("attribute %s has %d values, want %d", name, len(v), n)
		}
		return v, nil
	}
	if k.opset8 {
		if k.inDirs, err = read("directions", k.nIn); err != nil {
			return nil, err
		}
		k.inAxes, k.outAxes, k.outDs = make([]int64, k.nIn), make([]int64, k.nOut), make([]int64, k.nOut)
		return k, nil
	}
	if k.inAxes, err = read("scan_input_axes", k.nIn); err != nil {
		return nil, err
	}
	if k.inDirs, err = read("scan_input_directions", k.nIn); err != nil {
		return nil, err
	}
	if k.outAxes, err = read("scan_output_axes", k.nOut); err != nil {
		return nil, err
	}
	if k.outDs, err = read("scan_output_directions", k.nOut); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *scanKernel) runValues(rc *runCtx, in, out []*onnx.Value) error {
	first := 0
	if k.opset8 {
		first = 1
	}
	ts := make([]*tensor.Tensor, k.nState+k.nIn)
	for i := range ts {
		t, err := tensorOf(in[first+i], first+i)
		if err != nil {
			return err
		}
		ts[i] = t
	}
	outer := in[k.explicit:]
	if !k.opset8 {
		res, err := k.scan(rc, ts[:k.nState], ts[k.nState:], outer, -1)
		if err != nil {
			return err
		}
		for i, t := range res {
			out[i] = &onnx.Value{Kind: onnx.KindTensor, Tensor: t}
		}
		return nil
	}
	var lens []int
	if in[0] != nil {
		t, err := tensorOf(in[0], 0)
		if err != nil {
			return err
		}
		if lens, err = intsOf(t); err != nil {
			return fmt.Errorf("Scan sequence_lens: %w", err)
		}
	}
	batch := ts[0].Shape()[0]
	per := make([][]*tensor.Tensor, len(out))
	for bi := range batch {
		slices := make([]*tensor.Tensor, len(ts))
		for i, t := range ts {
			if t.Rank() == 0 || t.Shape()[0] != batch {
				return fmt.Errorf("Scan input %d of shape %v lacks the batch axis of size %d", i, t.Shape(), batch)
			}
			slices[i] = sliceAt(rc, t, 0, bi)
		}
		limit := -1
		if lens != nil {
			limit = lens[bi]
		}
		res, err := k.scan(rc, slices[:k.nState], slices[k.nState:], outer, limit)
		if err != nil {
			return err
		}
		for i, t := range res {
			per[i] = append(per[i], t)
		}
	}
	for i, parts := range per {
		t, err := stack(parts, tensor.Float32)
		if err != nil {
			return err
		}
		out[i] = &onnx.Value{Kind: onnx.KindTensor, Tensor: t}
	}
	return nil
}

// scan runs the body over the scan inputs (at most limit steps when
// limit >= 0) and returns the final states and the scan outputs.
func (k *scanKernel) scan(rc *runCtx, states, inputs []*tensor.Tensor, outer []*onnx.Value, limit int) ([]*tensor.Tensor, error) {
	steps := -1
	axes := make([]int, len(inputs))
	for i, t := range inputs {
		a, ok := normAxis(k.inAxes[i], t.Rank())
		if !ok {
			return nil, fmt.Errorf("Scan input axis %d out of range for shape %v", k.inAxes[i], t.Shape())
		}
		axes[i] = a
		if steps >= 0 && t.Shape()[a] != steps {
			return nil, fmt.Errorf("Scan inputs have different lengths %d and %d", steps, t.Shape()[a])
		}
		steps = t.Shape()[a]
	}
	if limit >= 0 && limit < steps {
		steps = limit
	}
	state := make([]*onnx.Value, len(states))
	for i, t := range states {
		state[i] = &onnx.Value{Kind: onnx.KindTensor, Tensor: t}
	}
	outs := make([][]*tensor.Tensor, k.nOut)
	for s := range steps {
		if err := rc.ctx.Err(); err != nil {
			return nil, err
		}
		args := append([]*onnx.Value(nil), state...)
		for i, t := range inputs {
			pos := s
			if k.inDirs[i] == 1 {
				pos = steps - 1 - s
			}
			args = append(args, &onnx.Value{Kind: onnx.KindTensor, Tensor: sliceAt(rc, t, axes[i], pos)})
		}
		res, err := k.body.call(rc, args, outer)
		if err != nil {
			return nil, fmt.Errorf("Scan step %d: %w", s, err)
		}
		state = res[:k.nState]
		for j := range k.nOut {
			t, err := tensorOf(res[k.nState+j], j)
			if err != nil {
				return nil, err
			}
			outs[j] = append(outs[j], t)
		}
	}
	res := make([]*tensor.Tensor, 0, k.nState+k.nOut)
	for _, v := range state {
		t, err := tensorOf(v, 0)
		if err != nil {
			return nil, err
		}
		res = append(res, t)
	}
	for j, parts := range outs {
		t, err := k.scanOutput(rc, j, parts)
		if err != nil {
			return nil, err
		}
		res = append(res, t)
	}
	return res, nil
}

// scanOutput stacks the parts of scan output j in its direction and moves
// the scan axis to where the output's axis attribute puts it.
func (k *scanKernel) scanOutput(rc *runCtx, j int, parts []*tensor.Tensor) (*tensor.Tensor, error) {
	if k.outDs[j] == 1 {
		for a, b := 0, len(parts)-1; a < b; a, b = a+1, b-1 {
			parts[a], parts[b] = parts[b], parts[a]
		}
	}
	t, err := stack(parts, k.body.graphOutputs[k.nState+j].Type.DType)
	if err != nil {
		return nil, err
	}
	a := k.outAxes[j]
	if a == 0 {
		return t, nil
	}
	r := t.Rank()
	ax, ok := normAxis(a, r)
	if !ok {
		return nil, fmt.Errorf("Scan output axis %d out of range for rank %d", a, r)
	}
	perm := make([]int, 0, r)
	for d := 1; d <= ax; d++ {
		perm = append(perm, d)
	}
	perm = append(perm, 0)
	for d := ax + 1; d < r; d++ {
		perm = append(perm, d)
	}
	return permuted(rc.sub(), t, t.Shape(), perm)
}

// sliceAt returns x's slice at index i of axis, without that axis, as a
// new tensor.
func sliceAt(rc *runCtx, x *tensor.Tensor, axis, i int) *tensor.Tensor {
	base, shape, strides, err := sliceLayout(x.Shape(), []int64{int64(i)}, []int64{int64(i + 1)}, []int64{int64(axis)}, nil)
	if err != nil {
		throwf("%v", err)
	}
	part := tensor.New(x.DType(), shape...)
	copyStrided(rc, part, x, base, strides)
	shape = append(append([]int(nil), shape[:axis]...), shape[axis+1:]...)
	r, err := part.Reshape(shape...)
	if err != nil {
		throwf("%v", err)
	}
	return r
}
