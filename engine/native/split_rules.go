package native

import "math"

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
	splitRules["LayerNormalization"] = ruleLayerNorm
	splitRules["Flatten"] = ruleFlatten
	splitRules["Gemm"] = ruleGemm
	splitRules["MatMul"] = ruleMatMul
	splitRules["Reshape"] = ruleReshape
	splitRules["Transpose"] = ruleTranspose
	splitRules["Squeeze"] = ruleSqueeze
	splitRules["Unsqueeze"] = ruleUnsqueeze
	splitRules["Concat"] = ruleConcat
	splitRules["Split"] = ruleSplit
	splitRules["Slice"] = ruleSlice
	splitRules["Pad"] = rulePad
	splitRules["Resize"] = ruleResize
	splitRules["Gather"] = ruleGather
	splitRules["ArgMax"] = ruleArg
	splitRules["ArgMin"] = ruleArg
	splitRules["Expand"] = ruleExpand
	splitRules["Tile"] = ruleTile
}

// ruleBroadcast serves elementwise operators: the batched inputs have the
// output's rank (so that their axis 0 is the output's) and no constant
// broadcasts over axis 0 (it has a lower rank or 1 there).
func ruleBroadcast(a *splitInfo, s step) bool {
	r, scalars := 0, true
	for _, id := range s.in {
		if id < 0 {
			continue
		}
		rk := a.batched(id)
		if c := a.constant(id); rk == 0 {
			rk = c.Rank()
			scalars = scalars && c.Len() == 1
		}
		r = max(r, rk)
	}
	var dims []int
	for _, id := range s.in {
		if id < 0 {
			continue
		}
		if rk := a.batched(id); rk > 0 {
			if rk != r {
				return false
			}
			dims = a.dims[id]
		} else if c := a.constant(id); c.Rank() == r && c.Shape()[0] != 1 {
			return false
		}
	}
	if !a.setOut(s, r) {
		return false
	}
	if scalars && len(s.out) > 0 && s.out[0] >= 0 {
		a.dims[s.out[0]] = dims
	}
	return true
}

// ruleUnary serves elementwise operators of one batched input.
func ruleUnary(a *splitInfo, s step) bool {
	if !rulePerSample(a, s) {
		return false
	}
	if s.out[0] >= 0 {
		a.dims[s.out[0]] = a.dims[s.in[0]]
	}
	return true
}

// rulePerSample serves operators that compute each sample on its own
// from the first input (convolutions, pools, normalisations over a
// sample's channels or space), with constant parameters.
func rulePerSample(a *splitInfo, s step) bool {
	return a.onlyFirstBatched(s) && a.setOut(s, a.batched(s.in[0]))
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

func ruleSoftmax(a *splitInfo, s step) bool {
	def := int64(-1)
	if a.opset < 13 {
		def = 1 // coerced to 2-D at axis: rows are within a sample when axis ≥ 1
	}
	r := a.batched(s.in[0])
	return a.onlyFirstBatched(s) && axisAbove0(s.node.AttrInt("axis", def), r) && a.setOut(s, r)
}

func ruleLayerNorm(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	return a.onlyFirstBatched(s) && axisAbove0(s.node.AttrInt("axis", -1), r) && a.setOut(s, r)
}

// ruleFlatten accepts only axis 1: the output's rows are then the samples.
func ruleFlatten(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	ax, ok := normAxis(s.node.AttrInt("axis", 1), r)
	if !ok || ax != 1 || !a.onlyFirstBatched(s) || !a.setOut(s, 2) {
		return false
	}
	in := a.dims[s.in[0]]
	if in == nil {
		return true
	}
	n := 1
	for _, d := range in {
		if d < 0 {
			return true
		}
		n *= d
	}
	a.dims[s.out[0]] = []int{n}
	return true
}

// ruleGemm: rows of A are samples (not transposed), B constant, C
// constant and not varying along rows.
func ruleGemm(a *splitInfo, s step) bool {
	if s.node.AttrInt("transA", 0) != 0 || !a.onlyFirstBatched(s) {
		return false
	}
	if len(s.in) > 2 && s.in[2] >= 0 {
		if c := a.constant(s.in[2]); c.Rank() == 2 && c.Shape()[0] != 1 {
			return false
		}
	}
	return a.setOut(s, 2)
}

// ruleMatMul: a batched operand of rank ≥ 3 keeps its axis 0 as the
// product's (a batched A of rank 2 too: its rows are the product's);
// a constant operand must not broadcast over that axis.
func ruleMatMul(a *splitInfo, s step) bool {
	ra, rb := a.batched(s.in[0]), a.batched(s.in[1])
	ca, cb := a.constant(s.in[0]), a.constant(s.in[1])
	switch {
	case ra > 0 && rb > 0:
		return ra == rb && ra >= 3 && a.setOut(s, ra)
	case ra >= 2:
		k := cb.Rank()
		return k >= 2 && (k < ra || k == ra && cb.Shape()[0] == 1) && a.setOut(s, ra)
	case rb >= 3:
		k := ca.Rank()
		return k >= 2 && (k < rb || k == rb && ca.Shape()[0] == 1) && a.setOut(s, rb)
	}
	return false
}

// ruleReshape accepts a constant target shape that keeps axis 0: 0 there
// (copy it, without allowzero), or -1 with the other sizes accounting for
// all of a sample's (known) elements.
func ruleReshape(a *splitInfo, s step) bool {
	shape, ok := a.constInts(s, 1)
	if !ok || len(shape) == 0 || !a.onlyFirstBatched(s) {
		return false
	}
	in := a.dims[s.in[0]]
	per := 1
	if in == nil {
		per = -1
	}
	for _, d := range in {
		per *= d
		if d < 0 {
			per = -1
			break
		}
	}
	out := make([]int, len(shape)-1)
	rest := 1
	for i, d := range shape[1:] {
		switch {
		case d == 0 && i < len(in):
			d = in[i]
		case d == 0:
			return false
		}
		out[i] = d
		if d < 0 {
			rest = -1
		} else if rest > 0 {
			rest *= d
		}
	}
	switch {
	case shape[0] == 0 && s.node.AttrInt("allowzero", 0) == 0:
	case shape[0] == -1 && per > 0 && rest == per:
	default:
		return false
	}
	if rest < 0 && per > 0 && slices64Count(out, -1) == 1 {
		fillMissing(out, per)
	}
	a.setOut(s, len(shape))
	a.dims[s.out[0]] = out
	return true
}

// slices64Count counts the entries of s equal to v.
func slices64Count(s []int, v int) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// fillMissing replaces the one -1 of dims by what makes their product n.
func fillMissing(dims []int, n int) {
	known, at := 1, -1
	for i, d := range dims {
		if d < 0 {
			at = i
		} else {
			known *= d
		}
	}
	if at >= 0 && known > 0 && n%known == 0 {
		dims[at] = n / known
	}
}

func ruleTranspose(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	perm := s.node.AttrInts("perm", nil)
	if perm == nil {
		return r == 1 && a.setOut(s, 1)
	}
	return len(perm) > 0 && perm[0] == 0 && a.onlyFirstBatched(s) && a.setOut(s, r)
}

func ruleSqueeze(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	axes, given, ok := a.axesOf(s, 1)
	// Without axes every axis of size 1 goes, the batch too at batch 1.
	return ok && given && len(axes) > 0 && noAxis0(axes, r) && a.onlyFirstBatched(s) && a.setOut(s, r-len(axes))
}

func ruleUnsqueeze(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	axes, given, ok := a.axesOf(s, 1)
	return ok && given && noAxis0(axes, r+len(axes)) && a.onlyFirstBatched(s) && a.setOut(s, r+len(axes))
}

func ruleConcat(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	for _, id := range s.in {
		if a.batched(id) != r {
			return false
		}
	}
	return axisAbove0(s.node.AttrInt("axis", 0), r) && a.setOut(s, r)
}

func ruleSplit(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	return a.onlyFirstBatched(s) && axisAbove0(s.node.AttrInt("axis", 0), r) && a.setOut(s, r)
}

// ruleSlice accepts slices of axis 0 that keep all of it.
func ruleSlice(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	if !a.onlyFirstBatched(s) {
		return false
	}
	starts, ends, axes, steps := toInts(s.node.AttrInts("starts", nil)), toInts(s.node.AttrInts("ends", nil)), toInts(s.node.AttrInts("axes", nil)), []int(nil)
	if !s.node.Has("starts") {
		var ok1, ok2, ok3, ok4 bool
		starts, ok1 = a.constInts(s, 1)
		ends, ok2 = a.constInts(s, 2)
		axes, _, ok3 = a.axesOf(s, 3)
		steps, ok4 = []int(nil), true
		if len(s.in) > 4 && s.in[4] >= 0 {
			steps, ok4 = a.constInts(s, 4)
		}
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return false
		}
	}
	for i := range starts {
		ax := i
		if axes != nil {
			ax = axes[i]
		}
		if n, ok := normAxis(int64(ax), r); !ok || n == 0 && !(starts[i] == 0 && ends[i] >= math.MaxInt32 && (steps == nil || steps[i] == 1)) {
			return false
		}
	}
	return a.setOut(s, r)
}

// rulePad accepts no padding on axis 0.
func rulePad(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	pads := toInts(s.node.AttrInts("pads", nil))
	if !s.node.Has("pads") {
		var ok bool
		if pads, ok = a.constInts(s, 1); !ok {
			return false
		}
	}
	if len(s.in) > 3 && s.in[3] >= 0 || len(pads) != 2*r {
		return false // pads of chosen axes
	}
	return pads[0] == 0 && pads[r] == 0 && a.onlyFirstBatched(s) && a.setOut(s, r)
}

// ruleResize accepts scales with 1 on axis 0; sizes name the batch.
func ruleResize(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
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
	return ok && sc[0] == 1 && a.setOut(s, r)
}

func ruleReduce(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	axes, given, ok := a.axesOf(s, 1)
	if !ok || !given || len(axes) == 0 || !noAxis0(axes, r) || !a.onlyFirstBatched(s) {
		return false
	}
	if s.node.AttrInt("keepdims", 1) == 0 {
		r -= len(axes)
	}
	return a.setOut(s, r)
}

// ruleGather: batched data gathered on another axis by constant indices,
// or constant data (an embedding table) gathered on axis 0 by batched
// indices.
func ruleGather(a *splitInfo, s step) bool {
	axis := s.node.AttrInt("axis", 0)
	if r := a.batched(s.in[0]); r > 0 {
		ids := a.constant(s.in[1])
		return ids != nil && axisAbove0(axis, r) && a.setOut(s, r-1+ids.Rank())
	}
	data, r := a.constant(s.in[0]), a.batched(s.in[1])
	ax, ok := normAxis(axis, data.Rank())
	return ok && ax == 0 && a.setOut(s, r+data.Rank()-1)
}

func ruleArg(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	if !a.onlyFirstBatched(s) || !axisAbove0(s.node.AttrInt("axis", 0), r) {
		return false
	}
	if s.node.AttrInt("keepdims", 1) == 0 {
		r--
	}
	return a.setOut(s, r)
}

func ruleExpand(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	shape, ok := a.constInts(s, 1)
	return ok && a.onlyFirstBatched(s) && (len(shape) < r || len(shape) == r && shape[0] == 1) && a.setOut(s, r)
}

func ruleTile(a *splitInfo, s step) bool {
	r := a.batched(s.in[0])
	reps, ok := a.constInts(s, 1)
	return ok && len(reps) == r && reps[0] == 1 && a.onlyFirstBatched(s) && a.setOut(s, r)
}
