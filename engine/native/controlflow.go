package native

import (
	"fmt"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// If and Loop, whose subgraphs run through plan.call with the node's
// implicit inputs as their enclosing values.

func init() {
	register("If", buildIf)
	register("Loop", buildLoop)
}

type ifKernel struct {
	valueOnly
	then, els *plan
	explicit  int
}

func buildIf(b *buildCtx) (kernel, error) {
	k := &ifKernel{explicit: b.numExplicit()}
	var err error
	if k.then, err = b.subPlan("then_branch"); err != nil {
		return nil, err
	}
	if k.els, err = b.subPlan("else_branch"); err != nil {
		return nil, err
	}
	if len(k.then.outputIDs) != len(b.node.Outputs) || len(k.els.outputIDs) != len(b.node.Outputs) {
		return nil, b.errorf("branches have %d and %d outputs, the node %d", len(k.then.outputIDs), len(k.els.outputIDs), len(b.node.Outputs))
	}
	if k.then.tensorOutputs() && k.els.tensorOutputs() {
		return &ifTensors{k}, nil
	}
	return k, nil
}

// ifTensors is an If whose branches output tensors: with tensor inputs it
// runs on the tensor path, the branch on the run's arena (callTensors),
// allocating nothing in a steady state.
type ifTensors struct{ k *ifKernel }

func (t *ifTensors) runValues(rc *runCtx, in, out []*onnx.Value) error {
	return t.k.runValues(rc, in, out)
}

func (t *ifTensors) run(rc *runCtx, in, out []*tensor.Tensor) error {
	c := in[0]
	if c == nil || c.DType() != tensor.Bool || c.Len() != 1 {
		return fmt.Errorf("If condition: expected one bool value, got %v", c)
	}
	branch := t.k.els
	if tensor.Data[bool](c)[0] {
		branch = t.k.then
	}
	return branch.callTensors(rc, in[t.k.explicit:], out)
}

func (k *ifKernel) runValues(rc *runCtx, in, out []*onnx.Value) error {
	cond, err := scalarBool(in[0])
	if err != nil {
		return fmt.Errorf("If condition: %w", err)
	}
	branch := k.els
	if cond {
		branch = k.then
	}
	res, err := branch.call(rc, nil, in[k.explicit:])
	if err != nil {
		return err
	}
	copy(out, res)
	return nil
}

// scalarBool reads a one-element bool tensor.
func scalarBool(v *onnx.Value) (bool, error) {
	t, err := tensorOf(v, 0)
	if err != nil {
		return false, err
	}
	if t.DType() != tensor.Bool || t.Len() != 1 {
		return false, fmt.Errorf("expected one bool value, got %v", t)
	}
	return tensor.Data[bool](t)[0], nil
}

type loopKernel struct {
	valueOnly
	body     *plan
	explicit int
	carried  int
}

func buildLoop(b *buildCtx) (kernel, error) {
	k := &loopKernel{explicit: b.numExplicit()}
	if k.explicit < 2 {
		return nil, b.errorf("Loop needs inputs M and cond (possibly empty)")
	}
	var err error
	if k.body, err = b.subPlan("body"); err != nil {
		return nil, err
	}
	k.carried = k.explicit - 2
	if len(k.body.inputIDs) != k.carried+2 {
		return nil, b.errorf("Loop body has %d inputs, want %d (iteration, condition and %d carried values)", len(k.body.inputIDs), k.carried+2, k.carried)
	}
	if len(k.body.outputIDs) < k.carried+1 || len(b.node.Outputs) != len(k.body.outputIDs)-1 {
		return nil, b.errorf("Loop body has %d outputs for %d carried values and %d node outputs", len(k.body.outputIDs), k.carried, len(b.node.Outputs))
	}
	return k, nil
}

func (k *loopKernel) runValues(rc *runCtx, in, out []*onnx.Value) error {
	maxTrips := int64(-1)
	if in[0] != nil {
		v, err := oneInt64(in[0], 0, "Loop M must be one int64 value")
		if err != nil {
			return err
		}
		maxTrips = v
	}
	cond := true
	if in[1] != nil {
		var err error
		if cond, err = scalarBool(in[1]); err != nil {
			return fmt.Errorf("Loop cond: %w", err)
		}
	}
	state := append([]*onnx.Value(nil), in[2:k.explicit]...)
	outer := in[k.explicit:]
	nScan := len(k.body.outputIDs) - 1 - k.carried
	scans := make([][]*tensor.Tensor, nScan)
	scanBytes := make([]int64, nScan)
	for i := int64(0); (maxTrips < 0 || i < maxTrips) && cond; i++ {
		if err := rc.ctx.Err(); err != nil {
			return err
		}
		if maxTrips < 0 && i >= 1<<31 {
			return fmt.Errorf("Loop ran %d iterations without its condition turning false", i)
		}
		args := append([]*onnx.Value{
			{Kind: onnx.KindTensor, Tensor: tensor.Scalar(i)},
			{Kind: onnx.KindTensor, Tensor: tensor.Scalar(cond)},
		}, state...)
		res, err := k.body.call(rc, args, outer)
		if err != nil {
			return fmt.Errorf("Loop iteration %d: %w", i, err)
		}
		if cond, err = scalarBool(res[0]); err != nil {
			return fmt.Errorf("Loop body condition: %w", err)
		}
		state = res[1 : 1+k.carried]
		for j := range nScan {
			t, err := tensorOf(res[1+k.carried+j], j)
			if err != nil {
				return fmt.Errorf("Loop scan output %d: %w", j, err)
			}
			if err := rc.growScan(&scanBytes[j], t, j, i+1); err != nil {
				return err
			}
			scans[j] = append(scans[j], t)
		}
	}
	copy(out, state)
	for j := range nScan {
		t, err := stack(scans[j], k.body.graphOutputs[1+k.carried+j].Type.DType)
		if err != nil {
			return fmt.Errorf("Loop scan output %d: %w", j, err)
		}
		out[k.carried+j] = &onnx.Value{Kind: onnx.KindTensor, Tensor: t}
	}
	return nil
}

// growScan adds t to the bytes *total of Loop scan output j after n
// iterations. The scan output stacks every iteration's tensor: it is
// bounded by rc's limit before the iterations pile up.
func (rc *runCtx) growScan(total *int64, t *tensor.Tensor, j int, n int64) error {
	if *total += tensorBytes(t); rc.maxBytes > 0 && *total > rc.maxBytes {
		return fmt.Errorf("Loop scan output %d reaches %d bytes after %d iterations, more than the limit of %d bytes per tensor (max tensor bytes)",
			j, *total, n, rc.maxBytes)
	}
	return nil
}

// stack joins tensors of one shape along a new first axis; with no
// tensors the result is an empty tensor of type dt (float32 if unknown).
func stack(ts []*tensor.Tensor, dt tensor.DType) (*tensor.Tensor, error) {
	if len(ts) == 0 {
		if dt == tensor.Invalid {
			dt = tensor.Float32
		}
		return tensor.New(dt, 0), nil
	}
	first := ts[0]
	shape := append([]int{len(ts)}, first.Shape()...)
	y := tensor.New(first.DType(), shape...)
	offs := make([]int, len(ts))
	n := first.Len()
	for i, t := range ts {
		if t.DType() != first.DType() || !equalShape(t.Shape(), first.Shape()) {
			return nil, fmt.Errorf("iterations produced %v and %v", first, t)
		}
		offs[i] = i * n
	}
	// Copy each tensor into its block.
	for i, t := range ts {
		put(y, t, offs[i:i+1], n, "none")
	}
	return y, nil
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
