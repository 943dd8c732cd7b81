package native

import (
	"slices"

	"github.com/inferd/inferd/tensor"
)

// Shape values in the split analysis (split_analysis.go): integer scalars
// and vectors computed from the shapes of batched values, whose entries
// are k·B + c for a batch of B rows. A sub-run computes them from its own
// rows, so they stay consistent with its values as long as they only
// reach operators that take sizes (a Reshape's target); one that does not
// depend on B becomes a constant.

// symInt is an entry of a shape value: k·B + c, or unknown (withB when
// it may depend on B: sizes of batched values but the batch's do not).
type symInt struct {
	k, c           int64
	unknown, withB bool
}

// symVal is a shape value: a scalar (rank 0) or a vector of integers.
type symVal struct {
	vals   []symInt
	scalar bool
	dt     tensor.DType
}

// symRules follow shape values through the operators of shape
// arithmetic; inputs are shape values or constants.
var symRules = map[string]splitRule{
	"Identity":  symIdentity,
	"Cast":      symCast,
	"Gather":    symGather,
	"Unsqueeze": symUnsqueeze,
	"Squeeze":   symSqueeze,
	"Concat":    symConcat,
	"Slice":     symSlice,
	"Add":       symArith,
	"Sub":       symArith,
	"Mul":       symArith,
	"Div":       symArith,
	// Batched values made from shapes (split_rules.go).
	"Expand":          ruleExpand,
	"ConstantOfShape": ruleConstantOfShape,
}

// symOf returns slot id as a shape value: its own, or a constant integer
// scalar or vector read as one; nil otherwise.
func (a *splitInfo) symOf(id int) *symVal {
	if id < 0 {
		return nil
	}
	if v := a.sym[id]; v != nil {
		return v
	}
	c := a.constant(id)
	if c == nil || c.Rank() > 1 || c.Len() > memoMaxElems || (c.DType() != tensor.Int64 && c.DType() != tensor.Int32) {
		return nil
	}
	v, err := int64sOf(c)
	if err != nil {
		return nil
	}
	sv := &symVal{vals: make([]symInt, len(v)), scalar: c.Rank() == 0, dt: c.DType()}
	for i, x := range v {
		sv.vals[i] = symInt{c: x}
	}
	return sv
}

// setSym sets output 0 of s to v.
func (a *splitInfo) setSym(s step, v *symVal) bool {
	if s.out[0] < 0 || v == nil {
		return false
	}
	a.sym[s.out[0]] = v
	return true
}

// settle turns the shape values of s's outputs that do not depend on the
// batch size into constants.
func (a *splitInfo) settle(s step) bool {
	for _, id := range s.out {
		v := a.symOf(id)
		if id < 0 || v == nil || a.constant(id) != nil {
			continue
		}
		vals := make([]int64, len(v.vals))
		for i, x := range v.vals {
			if x.k != 0 || x.unknown {
				vals = nil
				break
			}
			vals[i] = x.c
		}
		if vals == nil {
			continue
		}
		var shape []int
		if !v.scalar {
			shape = []int{len(vals)}
		}
		t := tensor.MustFromSlice(vals, shape...)
		if v.dt == tensor.Int32 {
			t = castInts32(vals, shape)
		}
		a.derived[id], a.sym[id] = t, nil
	}
	return true
}

// castInts32 returns vals as an int32 tensor of shape.
func castInts32(vals []int64, shape []int) *tensor.Tensor {
	v := make([]int32, len(vals))
	for i, x := range vals {
		v[i] = int32(x)
	}
	return tensor.MustFromSlice(v, shape...)
}

// shapeOf follows Shape of a batched value: its sizes, the batch axis's
// a multiple of B (opset 15's start and end slice them).
func (a *splitInfo) shapeOf(s step) bool {
	r, bx := a.first(s)
	dims := a.dims[s.in[0]]
	vals := make([]symInt, r)
	for i := range vals {
		switch {
		case i == bx.axis:
			vals[i] = symInt{k: int64(bx.outer * bx.inner)}
		case dims[i] < 0:
			vals[i] = symInt{unknown: true}
		default:
			vals[i] = symInt{c: int64(dims[i])}
		}
	}
	lo, hi := clampAxis(s.node.AttrInt("start", 0), r), clampAxis(s.node.AttrInt("end", int64(r)), r)
	return a.setSym(s, &symVal{vals: vals[lo:max(lo, hi)], dt: tensor.Int64})
}

// clampAxis normalises a Shape bound against rank r, clamped to [0, r].
func clampAxis(v int64, r int) int {
	if v < 0 {
		v += int64(r)
	}
	return int(min(max(v, 0), int64(r)))
}

func symIdentity(a *splitInfo, s step) bool { return a.setSym(s, a.symOf(s.in[0])) }

// symCast keeps integer shape values integers.
func symCast(a *splitInfo, s step) bool {
	to := tensor.DType(s.node.AttrInt("to", 0))
	v := a.symOf(s.in[0])
	if v == nil || to != tensor.Int64 && to != tensor.Int32 {
		return false
	}
	c := *v
	c.dt = to
	return a.setSym(s, &c)
}

// symGather picks entries of a shape vector by constant indices.
func symGather(a *splitInfo, s step) bool {
	v, idx := a.symOf(s.in[0]), a.constant(s.in[1])
	if v == nil || v.scalar || idx == nil || idx.Rank() > 1 || s.node.AttrInt("axis", 0) != 0 {
		return false
	}
	at, err := intsOf(idx)
	if err != nil {
		return false
	}
	out := &symVal{scalar: idx.Rank() == 0, dt: v.dt}
	for _, i := range at {
		if i < 0 {
			i += len(v.vals)
		}
		if i < 0 || i >= len(v.vals) {
			return false
		}
		out.vals = append(out.vals, v.vals[i])
	}
	return a.setSym(s, out)
}

// symUnsqueeze makes a scalar a vector of one entry.
func symUnsqueeze(a *splitInfo, s step) bool {
	v := a.symOf(s.in[0])
	axes, given, ok := a.axesOf(s, 1)
	if v == nil || !v.scalar || !ok || !given || !slices.Equal(axes, []int{0}) && !slices.Equal(axes, []int{-1}) {
		return false
	}
	return a.setSym(s, &symVal{vals: v.vals, dt: v.dt})
}

// symSqueeze makes a vector of one entry a scalar.
func symSqueeze(a *splitInfo, s step) bool {
	v := a.symOf(s.in[0])
	axes, given, ok := a.axesOf(s, 1)
	if v == nil || v.scalar || len(v.vals) != 1 || !ok || given && !slices.Equal(axes, []int{0}) && !slices.Equal(axes, []int{-1}) {
		return false
	}
	return a.setSym(s, &symVal{vals: v.vals, scalar: true, dt: v.dt})
}

// symConcat joins shape vectors.
func symConcat(a *splitInfo, s step) bool {
	if ax := s.node.AttrInt("axis", 0); ax != 0 && ax != -1 {
		return false
	}
	out := &symVal{}
	for _, id := range s.in {
		v := a.symOf(id)
		if v == nil || v.scalar {
			return false
		}
		out.vals, out.dt = append(out.vals, v.vals...), v.dt
	}
	return a.setSym(s, out)
}

// symSlice slices a shape vector by constant bounds.
func symSlice(a *splitInfo, s step) bool {
	v := a.symOf(s.in[0])
	starts, ok1 := a.constInts(s, 1)
	ends, ok2 := a.constInts(s, 2)
	if v == nil || v.scalar || !ok1 || !ok2 || len(starts) != 1 || len(ends) != 1 || !a.constOneOf(s, 3, 0, -1) || !a.constOneOf(s, 4, 1) {
		return false
	}
	n := len(v.vals)
	lo, hi := clampAxis(int64(starts[0]), n), clampAxis(int64(min(ends[0], n)), n)
	return a.setSym(s, &symVal{vals: slices.Clone(v.vals[lo:max(lo, hi)]), dt: v.dt})
}

// constOneOf reports whether input i of s is omitted or a constant of one
// entry, one of wants.
func (a *splitInfo) constOneOf(s step, i int, wants ...int) bool {
	if i >= len(s.in) || s.in[i] < 0 {
		return true
	}
	v, ok := a.constInts(s, i)
	return ok && len(v) == 1 && slices.Contains(wants, v[0])
}

// symArith is integer arithmetic on shape values, broadcasting a single
// entry: sums, products by a constant and exact divisions by one.
func symArith(a *splitInfo, s step) bool {
	x, y := a.symOf(s.in[0]), a.symOf(s.in[1])
	if x == nil || y == nil || x.dt != y.dt {
		return false
	}
	n := max(len(x.vals), len(y.vals))
	if len(x.vals) != n && len(x.vals) != 1 || len(y.vals) != n && len(y.vals) != 1 {
		return false
	}
	out := &symVal{vals: make([]symInt, n), scalar: x.scalar && y.scalar, dt: x.dt}
	for i := range out.vals {
		v, ok := symOp(s.node.OpType, x.vals[min(i, len(x.vals)-1)], y.vals[min(i, len(y.vals)-1)])
		if !ok {
			return false
		}
		out.vals[i] = v
	}
	return a.setSym(s, out)
}

// symOp computes one entry of symArith; false when the result is not of
// the form k·B + c.
func symOp(op string, x, y symInt) (symInt, bool) {
	if x.unknown || y.unknown {
		return symInt{unknown: true, withB: x.withB || y.withB || x.k != 0 || y.k != 0}, true
	}
	switch op {
	case "Add":
		return symInt{k: x.k + y.k, c: x.c + y.c}, true
	case "Sub":
		return symInt{k: x.k - y.k, c: x.c - y.c}, true
	case "Mul":
		if x.k != 0 && y.k != 0 {
			return symInt{}, false
		}
		return symInt{k: x.k*y.c + y.k*x.c, c: x.c * y.c}, true
	case "Div":
		d := y.c
		if y.k != 0 || d <= 0 || x.c < 0 || x.k%d != 0 || x.k != 0 && x.c%d != 0 {
			return symInt{}, false
		}
		return symInt{k: x.k / d, c: x.c / d}, true
	}
	return symInt{}, false
}
