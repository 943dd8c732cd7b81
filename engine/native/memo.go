package native

import (
	"math"
	"slices"
	"sync"

	"github.com/inferd/inferd/tensor"
)

// Shape arithmetic (Shape → Gather → Unsqueeze → Concat → Reshape's shape
// operand, as exporters write for dynamic axes) computes the same small
// tensors on every run with the same input shapes. A step of such a chain
// is memoized: a step of one of memoOps whose inputs are constants,
// outputs of other memoized steps, or, for Shape and Size, any tensor (of
// which only the shape counts). A run whose inputs equal those of one of
// the last few distinct runs (same types, shapes and, but for Shape and
// Size, values) takes that run's outputs instead of computing and
// allocating them: a few, so that batch sizes in turn all hit (recent.go).

// memoOps are the operators memoized in shape chains: deterministic, with
// small outputs for small inputs.
var memoOps = map[string]bool{
	"Shape": true, "Size": true, "Gather": true, "Unsqueeze": true, "Squeeze": true, "Concat": true,
	"Slice": true, "Reshape": true, "Cast": true, "Add": true, "Sub": true, "Mul": true, "Div": true,
	"Equal": true, "Less": true, "Greater": true, "Where": true, "Neg": true, "Abs": true, "Max": true,
	"Min": true, "ReduceProd": true, "Floor": true, "Ceil": true, "Identity": true, "Not": true,
}

// memoMaxElems bounds the inputs and outputs a memoized step keeps.
const memoMaxElems = 64

// stepMemo is the memory of a memoized step: for its last few distinct
// inputs, their key and copies of its outputs (never arena buffers, so
// never recycled).
type stepMemo struct {
	shapeOnly bool
	mu        sync.Mutex
	seen      recent[memoEntry]
	scratch   []int64
}

// memoEntry is one remembered run of a memoized step.
type memoEntry struct {
	key  []int64
	outs []*tensor.Tensor
}

// markMemos marks the memoized steps of pl's plan.
func (pl *planner) markMemos() {
	p := pl.p
	derived := make([]bool, p.numValues)
	for i := range p.steps {
		st := &p.steps[i]
		op := st.node.OpType
		if st.values != nil || normDomain(st.node.Domain) != "" || !memoOps[op] {
			continue
		}
		shapeOnly := op == "Shape" || op == "Size"
		ok := true
		for _, id := range st.in {
			if id >= 0 && p.consts[id] == nil && !derived[id] && !shapeOnly {
				ok = false
			}
		}
		for _, id := range st.out {
			if id >= 0 && slices.Contains(p.outputIDs, id) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		st.memo = &stepMemo{shapeOnly: shapeOnly}
		for _, id := range st.out {
			if id >= 0 {
				derived[id] = true
			}
		}
	}
}

// run runs the step through its memory.
func (m *stepMemo) run(rc *runCtx, s step, in, out []*tensor.Tensor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	keyed := m.keyOf(in)
	if keyed {
		if e := m.seen.find(rc.tag, func(e *memoEntry) bool { return slices.Equal(m.scratch, e.key) }); e != nil {
			copy(out, e.outs)
			return nil
		}
	}
	if err := runKernel(rc, s, in, out); err != nil {
		return err
	}
	if !keyed {
		return nil
	}
	for _, t := range out {
		if t != nil && (t.Len() > memoMaxElems || t.DType() == tensor.String) {
			return nil // checked first: nothing allocated in vain
		}
	}
	outs := make([]*tensor.Tensor, len(out))
	for i, t := range out {
		if t != nil {
			outs[i] = t.Clone()
		}
	}
	m.seen.add(rc.tag, &memoEntry{key: slices.Clone(m.scratch), outs: outs})
	return nil
}

// keyOf writes in's key into m.scratch: per input its type, rank, shape
// and (unless shapeOnly) values. It reports false when an input is too
// large or of a type without a key.
func (m *stepMemo) keyOf(in []*tensor.Tensor) bool {
	k := m.scratch[:0]
	defer func() { m.scratch = k }()
	for _, t := range in {
		if t == nil {
			k = append(k, -1)
			continue
		}
		k = append(k, int64(t.DType()), int64(t.Rank()))
		for _, d := range t.Shape() {
			k = append(k, int64(d))
		}
		if m.shapeOnly {
			continue
		}
		if t.Len() > memoMaxElems {
			return false
		}
		switch d := t.Data().(type) {
		case []int64:
			k = append(k, d...)
		case []int32:
			for _, v := range d {
				k = append(k, int64(v))
			}
		case []bool:
			for _, v := range d {
				k = append(k, int64(boolInt(v)))
			}
		case []float32:
			for _, v := range d {
				k = append(k, int64(math.Float32bits(v)))
			}
		case []float64:
			for _, v := range d {
				k = append(k, int64(math.Float64bits(v)))
			}
		default:
			return false
		}
	}
	return true
}
