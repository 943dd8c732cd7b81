package native

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// valueKernel is implemented by the kernels whose inputs or outputs may be
// values other than tensors (sequences, maps, optionals) and by those that
// run subgraphs. The session calls runValues instead of run for them. Like
// run, runValues must not mutate the kernel; tensors it puts into a
// sequence or optional must not be arena buffers of the run (clone them),
// since the arena recycles buffers by slot.
type valueKernel interface {
	runValues(rc *runCtx, in []*onnx.Value, out []*onnx.Value) error
}

// valueOnly gives value kernels the method of kernel; the session never
// calls it.
type valueOnly struct{}

func (valueOnly) run(*runCtx, []*tensor.Tensor, []*tensor.Tensor) error {
	return errors.New("operator needs the value interface")
}

func (valueOnly) valuesOnly() {}

// valuesOnlyKernel marks kernels without a tensor path. Kernels that
// implement valueKernel without it take the value path only when an input
// is not a tensor (Identity, for instance).
type valuesOnlyKernel interface{ valuesOnly() }

// runState holds the values of one run of a plan: tensors in vals, other
// values in others (nil where the slot holds a tensor or nothing).
type runState struct {
	vals   []*tensor.Tensor
	others []*onnx.Value
	// in and out hold a step's arguments.
	in, out []*tensor.Tensor
}

// newRunState starts a run of p from its constants.
func newRunState(p *plan) *runState {
	s := &runState{}
	s.reset(p)
	return s
}

// reset starts a run of p from its constants, reusing the slots of an
// earlier run.
func (s *runState) reset(p *plan) {
	if cap(s.vals) < p.numValues {
		s.vals, s.others = make([]*tensor.Tensor, p.numValues), make([]*onnx.Value, p.numValues)
	}
	s.vals, s.others = s.vals[:p.numValues], s.others[:p.numValues]
	copy(s.vals, p.consts)
	clear(s.others)
}

// clear drops the references to the run's values.
func (s *runState) clear() {
	clear(s.vals)
	clear(s.others)
	clear(s.in[:cap(s.in)])
	clear(s.out[:cap(s.out)])
}

// get returns slot id as a value, nil when empty.
func (s *runState) get(id int) *onnx.Value {
	if o := s.others[id]; o != nil {
		return o
	}
	if t := s.vals[id]; t != nil {
		return &onnx.Value{Kind: onnx.KindTensor, Tensor: t}
	}
	return nil
}

// hasOther reports whether a slot of ids holds a value that is not a
// tensor.
func (s *runState) hasOther(ids []int) bool {
	for _, id := range ids {
		if id >= 0 && s.others[id] != nil {
			return true
		}
	}
	return false
}

// set stores v in slot id.
func (s *runState) set(id int, v *onnx.Value) {
	s.vals[id], s.others[id] = nil, nil
	switch {
	case v == nil:
	case v.Kind == onnx.KindTensor:
		s.vals[id] = v.Tensor
	default:
		s.others[id] = v
	}
}

// exec runs p's steps over st, recycling dead buffers through rc.arena
// when it is not nil. Errors name the node; kernel errors about values are
// returned as they are (the caller marks them).
func (p *plan) exec(rc *runCtx, st *runState) error {
	// The arguments are built in st.in and st.out (locals kept by a
	// deferred closure would escape, two allocations per run).
	var t0 time.Time
	for _, s := range p.steps {
		if err := rc.ctx.Err(); err != nil {
			return err
		}
		if rc.onStep != nil {
			t0 = time.Now()
		}
		if s.values != nil && (s.valuesOnly || st.hasOther(s.in)) {
			if err := p.execValues(rc, st, s); err != nil {
				return err
			}
		} else {
			st.in = st.in[:0]
			for _, id := range s.in {
				if id < 0 {
					st.in = append(st.in, nil)
					continue
				}
				if o := st.others[id]; o != nil {
					return &stepError{s, fmt.Errorf("input %q is a %s, not a tensor", p.nameOf(s, id), o.Kind)}
				}
				st.in = append(st.in, st.vals[id])
			}
			if cap(st.out) < len(s.out) {
				st.out = make([]*tensor.Tensor, len(s.out))
			}
			st.out = st.out[:len(s.out)]
			clear(st.out)
			in, out := st.in, st.out
			run := runKernel
			if s.memo != nil {
				run = s.memo.run
			}
			fresh := rc.arena != nil && makesOutput(s.out, rc.outputs)
			if fresh {
				rc.arena.fresh = true
			}
			err := run(rc, s, in, out)
			if fresh {
				rc.arena.fresh = false
			}
			if err != nil {
				return &stepError{s, err}
			}
			for i, id := range s.out {
				if id < 0 {
					continue
				}
				if out[i] == nil {
					return &stepError{s, fmt.Errorf("output %d was not produced", i)}
				}
				st.vals[id] = out[i]
				if rc.arena != nil {
					rc.arena.retain(out[i])
				}
			}
		}
		if rc.onStep != nil {
			rc.onStep(s.node.Label(), stepOp(s), time.Since(t0))
		}
		for _, id := range s.release {
			if rc.arena != nil && st.vals[id] != nil {
				rc.arena.release(st.vals[id])
			}
			st.vals[id], st.others[id] = nil, nil
		}
	}
	return nil
}

// makesOutput reports whether a step's output slots include one of
// outputs.
func makesOutput(slots, outputs []int) bool {
	for _, id := range slots {
		if id >= 0 && slices.Contains(outputs, id) {
			return true
		}
	}
	return false
}

// execValues runs a value kernel.
func (p *plan) execValues(rc *runCtx, st *runState, s step) error {
	in := make([]*onnx.Value, len(s.in))
	for i, id := range s.in {
		if id >= 0 {
			in[i] = st.get(id)
		}
	}
	out := make([]*onnx.Value, len(s.out))
	if err := runValueKernel(rc, s, in, out); err != nil {
		return &stepError{s, err}
	}
	for i, id := range s.out {
		if id < 0 {
			continue
		}
		if out[i] == nil {
			return &stepError{s, fmt.Errorf("output %d was not produced", i)}
		}
		st.set(id, out[i])
		if out[i].Kind == onnx.KindTensor && rc.arena != nil {
			rc.arena.retain(out[i].Tensor)
		}
	}
	return nil
}

// nameOf returns the name of the node's input in slot id.
func (p *plan) nameOf(s step, id int) string {
	for i, x := range s.in {
		if x == id && i < len(s.node.Inputs) {
			return s.node.Inputs[i]
		}
	}
	return fmt.Sprint("value ", id)
}

// stepError is an error of one step; the session adds the node's name.
type stepError struct {
	step step
	err  error
}

func (e *stepError) Error() string { return fmt.Sprintf("node %s: %v", e.step.node.Label(), e.err) }
func (e *stepError) Unwrap() error { return e.err }

// isCancel reports whether err is the context's.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// runValueKernel runs a value kernel, turning panics into errors.
func runValueKernel(rc *runCtx, s step, in, out []*onnx.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(r)
		}
	}()
	return s.values.runValues(rc, in, out)
}

// stepOp names a step's operator for profiles, with what fusion added to
// it: "Conv+Add+Relu", "Gemm+Elementwise", "Elementwise(Add,Clip,Mul,Div)".
func stepOp(s step) string {
	op := s.node.OpType
	var act *fusedAct
	switch k := unwrapHalf(s.kernel).(type) {
	case *ewKernel:
		return "Elementwise(" + strings.Join(k.ops, ",") + ")"
	case *layerNormKernel:
		return "LayerNorm(decomposed)"
	case *expandDWKernel:
		return k.describe()
	case *matMulKernel:
		if k.inPerm[0] != nil || k.inPerm[1] != nil || k.outPerm != nil {
			op += "+Transpose"
		}
		if k.scales != [2]float32{} {
			op += "+Scale"
		}
		if k.bias != nil {
			op += "+Add"
		}
		act = k.act
	case *convKernel:
		if k.residual {
			op += "+Add"
		}
		act = k.act
	case *gemmKernel:
		act = k.act
	}
	if act != nil {
		op += "+" + act.op
	}
	return op
}
