package native

import "slices"

// Split rules of the operators that move the batch between axes
// (split_analysis.go): Reshape and Flatten, which place it from sizes,
// Transpose, Squeeze and Unsqueeze, and Expand and ConstantOfShape, which
// make batched values from shapes.

// ruleFlatten is a Reshape to two axes, the batch's side a multiple of B.
func ruleFlatten(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	f := int(s.node.AttrInt("axis", 1))
	if f < 0 {
		f += r
	}
	if f < 0 || f > r || !a.onlyFirstBatched(s) {
		return false
	}
	if f == 1 && bx.axis == 0 && slices.Contains(a.dims[s.in[0]][1:], -1) {
		return a.setOut(s, 2, bx) // the batch's rows, of unknown sizes
	}
	sides := []symInt{{c: 1}, {c: 1}}
	for i, d := range a.dims[s.in[0]] {
		side := &sides[0]
		if i >= f {
			side = &sides[1]
		}
		switch {
		case i == bx.axis:
			side.k = int64(bx.outer * bx.inner)
		case d < 0:
			return false
		default:
			side.c *= int64(d)
		}
	}
	for i := range sides {
		if sides[i].k != 0 {
			sides[i].k *= sides[i].c
			sides[i].c = 0
		}
	}
	return a.reshapeTo(s, sides)
}

// ruleReshape places the batch in the target shape (reshapeBatch), a
// constant or a shape value.
func ruleReshape(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	if r == 0 || a.batched(s.in[1]) > 0 {
		return false
	}
	target := a.symOf(s.in[1])
	if target == nil || target.scalar {
		return false
	}
	dims := a.dims[s.in[0]]
	entries := slices.Clone(target.vals)
	allowZero := s.node.AttrInt("allowzero", 0) != 0
	for i, e := range entries {
		if e.k != 0 || e.c != 0 || e.unknown || allowZero {
			continue
		}
		switch {
		case i == bx.axis:
			entries[i] = symInt{k: int64(bx.outer * bx.inner)}
		case i < r && dims[i] >= 0:
			entries[i] = symInt{c: int64(dims[i])}
		default:
			entries[i] = symInt{unknown: true}
		}
	}
	if a.reshapeTo(s, entries) {
		return true
	}
	// Sizes unknown: a target copying (0) every axis up to the batch's
	// only reshapes within a row's contiguous elements.
	return copiesBatch(target.vals, bx) && !allowZero && a.setOut(s, len(entries), bx)
}

// copiesBatch reports whether a Reshape's target copies (0) every axis up
// to the batch's.
func copiesBatch(target []symInt, bx batchAxis) bool {
	if len(target) <= bx.axis {
		return false
	}
	for _, e := range target[:bx.axis+1] {
		if e != (symInt{}) {
			return false
		}
	}
	return true
}

// reshapeTo sets the output of a reshape of input 0 of s to entries.
func (a *splitInfo) reshapeTo(s step, entries []symInt) bool {
	bx, dims, ok := reshapeBatch(a.dims[s.in[0]], a.bax[s.in[0]], entries)
	if !ok || !a.setOut(s, len(dims), bx) {
		return false
	}
	a.setDims(s, dims)
	return true
}

// reshapeBatch places the batch of a value of sizes dims (-1 unknown;
// those before the batch axis bx must be known) reshaped to target, whose
// entries are sizes, one batch term k·B, -1 for the size inferred (the
// batch's when there is no batch term), or unknown sizes after the batch
// term. The output's batch axis is the one whose size is a multiple of B:
// the sizes before it must split the input's elements before a row (its
// outer blocks), and then those after it, by the element count, a row's
// contiguous elements.
func reshapeBatch(dims []int, bx batchAxis, target []symInt) (batchAxis, []int, bool) {
	pre, post := bx.outer, bx.inner // post -1: unknown
	for i, d := range dims {
		switch {
		case i == bx.axis:
		case i < bx.axis && d < 0:
			return batchAxis{}, nil, false
		case i < bx.axis:
			pre *= d
		case d < 0 || post < 0:
			post = -1
		default:
			post *= d
		}
	}
	j, infer, vague := batchTerm(target)
	if j < 0 && (infer < 0 || vague || post < 0) || j >= 0 && slices.ContainsFunc(target[:j], symInt.notSize) {
		return batchAxis{}, nil, false
	}
	out, known := make([]int, len(target)), 1
	for i, e := range target {
		switch {
		case i == j || i == infer || e.unknown:
			out[i] = -1
		default:
			out[i] = int(e.c)
			known *= out[i]
		}
	}
	k := 0
	switch {
	case j < 0 && pre*post%known == 0: // the batch's size inferred
		k, j = pre*post/known, infer
	case j < 0:
		return batchAxis{}, nil, false
	case infer < 0 && !vague && post >= 0 && known*int(target[j].k) != pre*post:
		return batchAxis{}, nil, false
	default:
		k = int(target[j].k)
		if infer >= 0 && !vague && post >= 0 && pre*post%(known*k) == 0 {
			out[infer] = pre * post / (known * k)
		}
	}
	left := product(out[:j])
	if pre%left != 0 || k%(pre/left) != 0 {
		return batchAxis{}, nil, false
	}
	out[j] = -1
	return batchAxis{j, pre / left, k / (pre / left)}, out, true
}

// batchTerm finds a Reshape target's batch term j and inferred size
// infer (-1 when absent), and whether it has unknown sizes; j and infer
// are both -1 for a target that cannot place the batch.
func batchTerm(target []symInt) (j, infer int, vague bool) {
	j, infer = -1, -1
	for i, e := range target {
		switch {
		case e.unknown && e.withB || e.k < 0 || e.k > 0 && (j >= 0 || e.c != 0) || !e.unknown && e.k == 0 && (e.c == 0 || e.c < -1):
			return -1, -1, false
		case e.unknown:
			vague = true
		case e.k > 0:
			j = i
		case e.c == -1 && infer >= 0:
			return -1, -1, false
		case e.c == -1:
			infer = i
		}
	}
	return j, infer, vague
}

// notSize reports whether e is not a known size (before a Reshape's batch
// term, where every size must be known).
func (e symInt) notSize() bool { return e.unknown || e.k != 0 || e.c <= 0 }

// product returns the product of sizes.
func product(sizes []int) int {
	n := 1
	for _, d := range sizes {
		n *= d
	}
	return n
}

// ruleTranspose follows the batch axis through the permutation.
func ruleTranspose(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	perm := toInts(s.node.AttrInts("perm", nil))
	if perm == nil {
		for i := range r {
			perm = append(perm, r-1-i)
		}
	}
	at := slices.Index(perm, bx.axis)
	if len(perm) != r || at < 0 || !a.onlyFirstBatched(s) || !a.setOut(s, r, batchAxis{at, bx.outer, bx.inner}) {
		return false
	}
	in, dims := a.dims[s.in[0]], make([]int, r)
	for i, p := range perm {
		if p < 0 || p >= r {
			return false
		}
		dims[i] = in[p]
	}
	a.setDims(s, dims)
	return true
}

func ruleSqueeze(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	axes, given, ok := a.axesOf(s, 1)
	// Without axes every axis of size 1 goes, the batch too at batch 1.
	if !ok || !given || len(axes) == 0 || !a.onlyFirstBatched(s) {
		return false
	}
	axes, ok = normAxes(axes, r)
	if !ok || slices.Contains(axes, bx.axis) {
		return false
	}
	var dims []int
	for i, d := range a.dims[s.in[0]] {
		if i == bx.axis {
			bx.axis = len(dims)
		}
		if !slices.Contains(axes, i) {
			dims = append(dims, d)
		}
	}
	if !a.setOut(s, len(dims), bx) {
		return false
	}
	a.setDims(s, dims)
	return true
}

func ruleUnsqueeze(a *splitInfo, s step) bool {
	r, bx := a.first(s)
	axes, given, ok := a.axesOf(s, 1)
	if !ok || !given || !a.onlyFirstBatched(s) {
		return false
	}
	n := r + len(axes)
	if axes, ok = normAxes(axes, n); !ok {
		return false
	}
	dims, in := make([]int, n), a.dims[s.in[0]]
	next := 0
	for i := range dims {
		if slices.Contains(axes, i) {
			dims[i] = 1
			continue
		}
		if next >= len(in) {
			return false
		}
		if next == bx.axis {
			bx.axis = i
		}
		dims[i], next = in[next], next+1
	}
	if !a.setOut(s, n, bx) {
		return false
	}
	a.setDims(s, dims)
	return true
}

// ruleExpand broadcasts to a shape, constant or a shape value. A batched
// input keeps its batch, the shape having 1 there or the batch's own size;
// a constant one (1 there) takes the shape's batch term, as
// `buffer.expand(batch, seq)` exports: its rows are all alike.
func ruleExpand(a *splitInfo, s step) bool {
	shape := a.symOf(s.in[1])
	if shape == nil || shape.scalar {
		return false
	}
	sizes, term, ok := termSizes(shape.vals)
	if !ok {
		return false
	}
	r, bx := a.first(s)
	in := a.operandDims(s.in[0])
	n := max(len(in), len(sizes))
	lead := n - len(sizes)
	if r > 0 {
		bx.axis += n - r
		at := bx.axis - lead
		batchTerm := at >= 0 && term == at && shape.vals[at].k == int64(bx.outer*bx.inner)
		if at >= 0 && sizes[at] != 1 && !batchTerm || term >= 0 && !batchTerm {
			return false
		}
	} else {
		if in == nil || term < 0 {
			return false
		}
		if at := term + lead - (n - len(in)); at >= 0 && in[at] != 1 {
			return false
		}
		bx = batchAxis{term + lead, 1, int(shape.vals[term].k)}
	}
	if !a.setOut(s, n, bx) {
		return false
	}
	a.setDims(s, broadcastDims(n, [][]int{in, sizes}))
	return true
}

// termSizes reads a shape value's entries as sizes, -1 for its one batch
// term (at term, -1 when there is none); false for unknown entries or
// terms that are not multiples of B.
func termSizes(vals []symInt) (sizes []int, term int, ok bool) {
	sizes, term = make([]int, len(vals)), -1
	for i, e := range vals {
		switch {
		case e.unknown || e.k < 0 || e.k > 0 && (term >= 0 || e.c != 0) || e.k == 0 && e.c < 0:
			return nil, 0, false
		case e.k > 0:
			sizes[i], term = -1, i
		default:
			sizes[i] = int(e.c)
		}
	}
	return sizes, term, true
}

// ruleConstantOfShape fills a shape with a batch term: a batched value
// whose rows are all alike.
func ruleConstantOfShape(a *splitInfo, s step) bool {
	shape := a.symOf(s.in[0])
	if shape == nil || shape.scalar {
		return false
	}
	sizes, term, ok := termSizes(shape.vals)
	if !ok || term < 0 || !a.setOut(s, len(sizes), batchAxis{term, 1, int(shape.vals[term].k)}) {
		return false
	}
	a.setDims(s, sizes)
	return true
}
