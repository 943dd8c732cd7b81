package native

import (
	"math"
	"slices"
)

// splitRules holds the batch-separability rule of each operator of the
// default domain (see split_analysis.go); operators without one are not
// separable.
var splitRules = map[string]splitRule{}

func init() {
	for _, op := range []string{
		"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Mod", "BitShift", "PRelu",
		"Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "And", "Or", "Xor", "Where",
	} {
		splitRules[op] = ruleBroadcast
	}
	// Elementwise on their first input, with constant parameters (Clip's
	// bounds, which must be single values, Dropout's ratio).
	for _, op := range []string{
		"Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Clip", "Elu", "Selu", "Not",
		"Celu", "Gelu", "Mish", "Softplus", "Softsign", "ThresholdedRelu", "Shrink", "Erf", "Exp", "Log",
		"Sqrt", "Neg", "Abs", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "IsNaN", "IsInf",
		"Identity", "Cast", "CastLike", "Dropout",
	} {
		splitRules[op] = ruleUnary
	}
	for _, op := range []string{
		"Conv", "ConvTranspose", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool",
		"GlobalLpPool", "LRN", "InstanceNormalization", "DepthToSpace", "SpaceToDepth",
	} {
		splitRules[op] = rulePerSample
	}
	for _, op := range []string{"MaxPool", "BatchNormalization"} {
		splitRules[op] = ruleFirstOutput
	}
	for _, op := range []string{"Softmax", "LogSoftmax", "Hardmax"} {
		splitRules[op] = ruleSoftmax
	}
	for _, op := range []string{
		"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
		"ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare",
	} {
		splitRules[op] = ruleReduce
	}
	for op, rule := range map[string]splitRule{
		"LayerNormalization": ruleLayerNorm, "Flatten": ruleFlatten, "Gemm": ruleGemm, "MatMul": ruleMatMul,
		"Reshape": ruleReshape, "Transpose": ruleTranspose, "Squeeze": ruleSqueeze, "Unsqueeze": ruleUnsqueeze,
		"Concat": ruleConcat, "Split": ruleSplit, "Slice": ruleSlice, "Pad": rulePad, "Resize": ruleResize,
		"Gather": ruleGather, "ArgMax": ruleArg, "ArgMin": ruleArg, "Expand": ruleExpand, "Tile": ruleTile,
		"RNN": ruleRecurrent, "GRU": ruleRecurrent, "LSTM": ruleRecurrent,
	} {
		splitRules[op] = rule
	}
}

// ruleBroadcast serves elementwise operators: the batched inputs hold the
// batch on the same axis of the output (right-aligned) and no constant
// broadcasts over it (it has 1 there or a lower rank).
func ruleBroadcast(a *splitInfo, s step) bool {
	r := 0
	for _, id := range s.in {
		if c := a.constant(id); c != nil {
			r = max(r, c.Rank())
		}
		r = max(r, a.batched(id))
	}
	var bx batchAxis
	var shapes [][]int
	for _, id := range s.in {
		if rk := a.batched(id); rk > 0 {
			b := a.bax[id]
			b.axis += r - rk
			if shapes != nil && bx != b {
				return false
			}
			bx, shapes = b, append(shapes, a.dims[id])
		}
	}
	for _, id := range s.in {
		if c := a.constant(id); c != nil {
			if at := bx.axis - (r - c.Rank()); at >= 0 && c.Shape()[at] != 1 {
				return false
			}
			shapes = append(shapes, c.Shape())
		}
	}
	if !a.setOut(s, r, bx) {
		return false
	}
	a.setDims(s, broadcastDims(r, shapes))
	return true
}

// broadcastDims returns the broadcast of right-aligned sizes to rank r
// (-1 unknown).
func broadcastDims(r int, shapes [][]int) []int {
	out := make([]int, r)
	for i := range out {
		d := 1
		for _, sh := range shapes {
			at := i - (r - len(sh))
			switch {
			case at < 0 || sh[at] == 1:
			case sh[at] < 0 && d == 1:
				d = -1
			case sh[at] > 1:
				d = sh[at]
			}
		}
		out[i] = d
	}
	return out
}

// ruleUnary serves elementwise operators of one batched input.
func ruleUnary(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	if !a.onlyFirstBatched(s) || !a.setOut(s, r, bx) {
		return false
	}
	a.setDims(s, a.dims[s.in[0]])
	return true
}

// rulePerSample serves operators that compute each sample of axis 0 on
// its own from the first input (convolutions, pools, normalisations over
// a sample's channels or space), with constant parameters.
func rulePerSample(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	return a.onlyFirstBatched(s) && bx.axis == 0 && a.setOut(s, r, bx)
}

// ruleFirstOutput is rulePerSample for operators whose further outputs
// (MaxPool's indices, BatchNormalization's training statistics) mix
// samples: they must be omitted.
func ruleFirstOutput(a *splitInfo, s step) bool {
	for _, id := range s.out[1:] {
		if id >= 0 {
			return false
		}
	}
	return s.node.AttrInt("training_mode", 0) == 0 && rulePerSample(a, s)
}

// ruleSoftmax: the axis is not the batch's (before opset 13 the input is
// coerced to 2-D at axis: the batch must be before it).
func ruleSoftmax(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	if a.opset < 13 {
		ax, ok := normAxis(s.node.AttrInt("axis", 1), r)
		if !ok || ax <= bx.axis {
			return false
		}
	} else if !notBatchAxis(s.node.AttrInt("axis", -1), r, bx.axis) {
		return false
	}
	return ruleUnary(a, s)
}

// ruleLayerNorm: the normalised axes are after the batch's.
func ruleLayerNorm(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	ax, ok := normAxis(s.node.AttrInt("axis", -1), r)
	if !ok || ax <= bx.axis || !a.onlyFirstBatched(s) || !a.setOut(s, r, bx) {
		return false
	}
	a.setDims(s, a.dims[s.in[0]])
	return true
}

// ruleGemm: the rows of A (its axis 0, axis 1 when transposed) hold the
// batch; B constant, C constant and not varying along rows.
func ruleGemm(a *splitInfo, s step) bool {
	_, bx := a.first(s)
	if bx.axis != int(s.node.AttrInt("transA", 0)) || !a.onlyFirstBatched(s) {
		return false
	}
	if len(s.in) > 2 && s.in[2] >= 0 {
		if c := a.constant(s.in[2]); c.Rank() == 2 && c.Shape()[0] != 1 {
			return false
		}
	}
	w := a.constant(s.in[1])
	if w.Rank() != 2 || !a.setOut(s, 2, batchAxis{0, bx.outer, bx.inner}) {
		return false
	}
	a.setDims(s, []int{-1, w.Shape()[1-int(s.node.AttrInt("transB", 0))]})
	return true
}

// ruleMatMul: the batch on a broadcast axis of both operands (then the
// same one), or on a broadcast axis or the rows of a batched A, or the
// columns of a batched B, times a constant that does not broadcast over
// it.
func ruleMatMul(a *splitInfo, s step) bool {
	ra, rb := a.batched(s.in[0]), a.batched(s.in[1])
	da, db := a.operandDims(s.in[0]), a.operandDims(s.in[1])
	if ra == 1 || rb == 1 || len(da) == 0 || len(db) == 0 {
		return false // a batched vector is contracted
	}
	vecA, vecB := len(da) == 1, len(db) == 1
	if vecA {
		da = []int{1, da[0]}
	}
	if vecB {
		db = []int{db[0], 1}
	}
	rk := max(len(da), len(db))
	var bx batchAxis
	switch {
	case ra > 0 && rb > 0:
		bx = a.bax[s.in[0]]
		if ra != rb || bx != a.bax[s.in[1]] || bx.axis >= ra-2 {
			return false
		}
	case ra > 0:
		bx = a.bax[s.in[0]]
		if bx.axis == ra-1 || constOver(db, bx.axis+rk-ra, rk) {
			return false
		}
		bx.axis += rk - ra
	default:
		bx = a.bax[s.in[1]]
		if bx.axis == rb-2 || constOver(da, bx.axis+rk-rb, rk) {
			return false
		}
		bx.axis += rk - rb
	}
	dims := append(broadcastDims(rk-2, [][]int{da[:len(da)-2], db[:len(db)-2]}), da[len(da)-2], db[len(db)-1])
	if vecB {
		dims = dims[:rk-1]
	}
	if vecA {
		dims = slices.Delete(dims, rk-2, rk-1)
		if bx.axis > rk-2 {
			bx.axis--
		}
	}
	if !a.setOut(s, len(dims), bx) {
		return false
	}
	a.setDims(s, dims)
	return true
}

// constOver reports whether a constant operand of sizes d broadcasts over
// the output's broadcast axis at of a MatMul of rank rk.
func constOver(d []int, at, rk int) bool {
	i := at - (rk - len(d))
	return at < rk-2 && i >= 0 && d[i] != 1
}

// operandDims returns the sizes of a batched value or a constant, nil for
// anything else.
func (a *splitInfo) operandDims(id int) []int {
	if a.batched(id) > 0 {
		return a.dims[id]
	}
	if c := a.constant(id); c != nil {
		return c.Shape()
	}
	return nil
}

// ruleConcat joins batched values of one layout on another axis.
func ruleConcat(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	ax, ok := normAxis(s.node.AttrInt("axis", 0), r)
	if !ok || ax == bx.axis {
		return false
	}
	dims := slices.Clone(a.dims[s.in[0]])
	dims[ax] = 0
	for _, id := range s.in {
		if a.batched(id) != r || a.bax[id] != bx {
			return false
		}
		if d := a.dims[id][ax]; d < 0 || dims[ax] < 0 {
			dims[ax] = -1
		} else {
			dims[ax] += d
		}
	}
	if !a.setOut(s, r, bx) {
		return false
	}
	a.setDims(s, dims)
	return true
}

// ruleSplit cuts along another axis than the batch's.
func ruleSplit(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	ax, ok := normAxis(s.node.AttrInt("axis", 0), r)
	if !ok || ax == bx.axis || !a.onlyFirstBatched(s) || !a.setOut(s, r, bx) {
		return false
	}
	for _, id := range s.out {
		if id >= 0 {
			a.dims[id] = slices.Clone(a.dims[s.in[0]])
			a.dims[id][ax], a.dims[id][bx.axis] = -1, -1
		}
	}
	return true
}

// ruleSlice accepts slices of the batch axis that keep all of it.
func ruleSlice(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	if !a.onlyFirstBatched(s) {
		return false
	}
	starts, ends, axes, steps, ok := a.sliceArgs(s)
	if !ok || len(ends) != len(starts) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return false
	}
	dims := slices.Clone(a.dims[s.in[0]])
	for i := range starts {
		ax, st := i, 1
		if axes != nil {
			ax = axes[i]
		}
		if steps != nil {
			st = steps[i]
		}
		n, ok := normAxis(int64(ax), r)
		if !ok || st == 0 || n == bx.axis && !(starts[i] == 0 && ends[i] >= math.MaxInt32 && st == 1) {
			return false
		}
		if n != bx.axis && dims[n] >= 0 {
			dims[n] = sliceLen(dims[n], starts[i], ends[i], st)
		}
	}
	if !a.setOut(s, r, bx) {
		return false
	}
	a.setDims(s, dims)
	return true
}

// sliceArgs reads a Slice's constant starts, ends, axes and steps (nil
// when omitted), from attributes before opset 10.
func (a *splitInfo) sliceArgs(s step) (starts, ends, axes, steps []int, ok bool) {
	if s.node.Has("starts") {
		return toInts(s.node.AttrInts("starts", nil)), toInts(s.node.AttrInts("ends", nil)), toInts(s.node.AttrInts("axes", nil)), nil, true
	}
	var ok1, ok2, ok3, ok4 bool
	starts, ok1 = a.constInts(s, 1)
	ends, ok2 = a.constInts(s, 2)
	axes, _, ok3 = a.axesOf(s, 3)
	ok4 = true
	if len(s.in) > 4 && s.in[4] >= 0 {
		steps, ok4 = a.constInts(s, 4)
	}
	return starts, ends, axes, steps, ok1 && ok2 && ok3 && ok4
}

// sliceLen returns the length of a slice of an axis of size d.
func sliceLen(d, start, end, step int) int {
	fix := func(v, lo, hi int) int {
		if v < 0 {
			v += d
		}
		return min(max(v, lo), hi)
	}
	if step > 0 {
		lo, hi := fix(start, 0, d), fix(end, 0, d)
		return max(0, (hi-lo+step-1)/step)
	}
	lo, hi := fix(start, 0, d-1), fix(end, -1, d-1)
	return max(0, (lo-hi-step-1)/-step)
}

// rulePad accepts no padding on the batch axis.
func rulePad(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	pads := toInts(s.node.AttrInts("pads", nil))
	if !s.node.Has("pads") {
		var ok bool
		if pads, ok = a.constInts(s, 1); !ok {
			return false
		}
	}
	if !a.onlyFirstBatched(s) || len(s.in) > 3 && s.in[3] >= 0 || len(pads) != 2*r {
		return false // pads of chosen axes
	}
	if pads[bx.axis] != 0 || pads[r+bx.axis] != 0 || !a.setOut(s, r, bx) {
		return false
	}
	dims := slices.Clone(a.dims[s.in[0]])
	for i, d := range dims {
		if d >= 0 {
			dims[i] = d + pads[i] + pads[r+i]
		}
	}
	a.setDims(s, dims)
	return true
}

// ruleResize accepts scales with 1 on the batch axis; sizes name the
// batch.
func ruleResize(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	if !a.onlyFirstBatched(s) {
		return false
	}
	at := 2 // scales: X, roi, scales, sizes
	if a.opset < 11 {
		at = 1 // X, scales
	}
	if s.node.Has("axes") || len(s.in) > 3 && s.in[3] >= 0 && a.constant(s.in[3]).Len() > 0 || len(s.in) <= at || s.in[at] < 0 {
		return false
	}
	c := a.constant(s.in[at])
	if c == nil || c.Len() != r {
		return false
	}
	sc, ok := c.Data().([]float32)
	return ok && sc[bx.axis] == 1 && a.setOut(s, r, bx)
}

func ruleReduce(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	axes, given, ok := a.axesOf(s, 1)
	if !ok || !given || len(axes) == 0 || !a.onlyFirstBatched(s) {
		return false
	}
	if axes, ok = normAxes(axes, r); !ok || slices.Contains(axes, bx.axis) {
		return false
	}
	keep := s.node.AttrInt("keepdims", 1) != 0
	var dims []int
	at := bx.axis
	for i, d := range a.dims[s.in[0]] {
		switch {
		case !slices.Contains(axes, i):
			dims = append(dims, d)
		case keep:
			dims = append(dims, 1)
		case i < bx.axis:
			at--
		}
	}
	if !a.setOut(s, len(dims), batchAxis{at, bx.outer, bx.inner}) {
		return false
	}
	a.setDims(s, dims)
	return true
}

// ruleGather: batched data gathered on another axis by constant indices,
// or constant data (an embedding table) gathered by batched indices.
func ruleGather(a *splitInfo, s step) bool {
	axis := s.node.AttrInt("axis", 0)
	if r := a.batched(s.in[0]); r > 0 {
		ids, bx := a.constant(s.in[1]), a.bax[s.in[0]]
		ax, ok := normAxis(axis, r)
		if ids == nil || !ok || ax == bx.axis {
			return false
		}
		in := a.dims[s.in[0]]
		dims := append(append(slices.Clone(in[:ax]), ids.Shape()...), in[ax+1:]...)
		if bx.axis > ax {
			bx.axis += ids.Rank() - 1
		}
		if !a.setOut(s, len(dims), bx) {
			return false
		}
		a.setDims(s, dims)
		return true
	}
	data, r, bx := a.constant(s.in[0]), a.batched(s.in[1]), a.bax[s.in[1]]
	ax, ok := normAxis(axis, data.Rank())
	if !ok {
		return false
	}
	sh := data.Shape()
	dims := append(append(slices.Clone(sh[:ax]), a.dims[s.in[1]]...), sh[ax+1:]...)
	bx.axis += ax
	if len(dims) != r+data.Rank()-1 || !a.setOut(s, len(dims), bx) {
		return false
	}
	a.setDims(s, dims)
	return true
}

func ruleArg(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	ax, ok := normAxis(s.node.AttrInt("axis", 0), r)
	if !ok || ax == bx.axis || !a.onlyFirstBatched(s) {
		return false
	}
	dims := slices.Clone(a.dims[s.in[0]])
	if s.node.AttrInt("keepdims", 1) == 0 {
		dims = slices.Delete(dims, ax, ax+1)
		if ax < bx.axis {
			bx.axis--
		}
	} else {
		dims[ax] = 1
	}
	if !a.setOut(s, len(dims), bx) {
		return false
	}
	a.setDims(s, dims)
	return true
}

// ruleTile: one repetition of the batch axis.
func ruleTile(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	reps, ok := a.constInts(s, 1)
	if !ok || !a.onlyFirstBatched(s) || len(reps) != r || reps[bx.axis] != 1 || !a.setOut(s, r, bx) {
		return false
	}
	dims := slices.Clone(a.dims[s.in[0]])
	for i, d := range dims {
		if d >= 0 {
			dims[i] = d * reps[i]
		}
	}
	a.setDims(s, dims)
	return true
}

// ruleRecurrent: RNN, GRU and LSTM run each sequence of the batch axis
// (axis 1, axis 0 in the batch-major layout) on its own, whatever the
// batch's interleaving there. The weights are constant; the sequence
// lengths and initial states, if given, batched alike (PyTorch's zero
// states come from ConstantOfShape of the batch's shape).
func ruleRecurrent(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	major := s.node.AttrInt("layout", 0) == 1
	seq, batch, state := 0, 1, 1 // axes of X's sequence and batch, of the states' batch
	if major {
		seq, batch, state = 1, 0, 0
	}
	if r != 3 || bx.axis != batch {
		return false
	}
	for i, id := range s.in {
		switch {
		case i == 0 || id < 0 || a.constant(id) != nil && (i <= 3 || i == 7):
		case i == 4 && a.batched(id) == 1 && a.bax[id] == batchAxis{0, bx.outer, bx.inner}:
		case (i == 5 || i == 6) && a.batched(id) == 3 && a.bax[id] == batchAxis{state, bx.outer, bx.inner}:
		default:
			return false
		}
	}
	dirs := 1
	if s.node.AttrString("direction", "forward") == "bidirectional" {
		dirs = 2
	}
	h, t := int(s.node.AttrInt("hidden_size", -1)), a.dims[s.in[0]][seq]
	y, yState, yAt := []int{t, dirs, -1, h}, []int{dirs, -1, h}, 2
	if major {
		y, yState, yAt = []int{-1, t, dirs, h}, []int{-1, dirs, h}, 0
	}
	for i, id := range s.out {
		if id < 0 {
			continue
		}
		dims, at := yState, state
		if i == 0 {
			dims, at = y, yAt
		}
		a.rank[id], a.bax[id], a.dims[id] = len(dims), batchAxis{at, bx.outer, bx.inner}, dims
	}
	return true
}
