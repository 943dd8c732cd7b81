package native

import (
	"slices"

	"github.com/inferd/inferd/tensor"
)

// Elementwise fusion: any connected set of elementwise steps (arithmetic
// with broadcasting, Min and Max, Pow by a constant, Clip with constant
// bounds, the activations and math functions of one input, Cast to float)
// whose intermediate values are read only inside the set becomes one step
// (ewKernel) computing its output in one pass. Decomposed activations
// (hardswish as Add, Clip, Mul and Div; SiLU as x·Sigmoid(x); GELU in its
// Erf and Tanh forms; the tail of a decomposed LayerNorm) are such sets,
// whatever the exporter that wrote them. A set that is a function of one
// tensor and scalar constants then fuses, like a single activation, into
// the Conv or Gemm producing that tensor (fuseActivations).

// ewMaxNodes bounds the nodes of one group.
const ewMaxNodes = 32

// ewCand is what the fusion knows of an elementwise step.
type ewCand struct {
	// operands is the number of the step's inputs that are data (Pow's
	// exponent and Clip's bounds are folded into the instruction).
	operands int
	op       ewOp
	fn       func(d, x []float32)
	imm, hi  float32
	// rank is that of a constant operand folded into the instruction,
	// which the output's rank is at least.
	rank int
	// sigmoid marks Sigmoid's function, for fuseSiLU.
	sigmoid bool
}

// ewCandidate returns how step st computes, or nil when it is not an
// elementwise step the fusion takes.
func (f *fuser) ewCandidate(st step) *ewCand {
	n := st.node
	if normDomain(n.Domain) != "" || st.values != nil || !singleOutput(st) || len(st.in) == 0 || st.in[0] < 0 {
		return nil
	}
	k := unwrapHalf(st.kernel)
	switch n.OpType {
	case "Add", "Sub", "Mul", "Div":
		bk, ok := k.(*binaryKernel)
		if !ok || bk.legacyAxis >= 0 || len(st.in) != 2 || st.in[1] < 0 {
			return nil
		}
		return &ewCand{operands: 2, op: map[string]ewOp{"Add": ewAdd, "Sub": ewSub, "Mul": ewMul, "Div": ewDiv}[n.OpType]}
	case "Min", "Max":
		if len(st.in) != 2 || st.in[1] < 0 {
			return nil
		}
		if n.OpType == "Min" {
			return &ewCand{operands: 2, op: ewMin}
		}
		return &ewCand{operands: 2, op: ewMax}
	case "Pow":
		c := f.constScalar(st, 1)
		if c == nil {
			return nil
		}
		e, err := scalarFloat(c)
		if err != nil {
			return nil
		}
		if fn := powFast(e); fn != nil {
			return &ewCand{operands: 1, op: ewFunc, fn: fn, rank: c.Rank()}
		}
		return &ewCand{operands: 1, op: ewPow, imm: float32(e), rank: c.Rank()}
	case "Cast":
		if n.AttrInt("to", 0) != 1 || len(st.in) != 1 {
			return nil
		}
		return &ewCand{operands: 1, op: ewFunc, fn: copyT[float32]}
	}
	if act := f.fusableActivation(st); act != nil {
		if act.clamp {
			return &ewCand{operands: 1, op: ewClamp, imm: act.lo, hi: act.hi}
		}
		if act.fn != nil {
			return &ewCand{operands: 1, op: ewFunc, fn: act.fn, sigmoid: n.OpType == "Sigmoid"}
		}
		return nil
	}
	if u, ok := k.(*unaryKernel); ok && u.f32 != nil && len(st.in) == 1 {
		return &ewCand{operands: 1, op: ewFunc, fn: u.f32, sigmoid: n.OpType == "Sigmoid"}
	}
	return nil
}

// constScalar returns input i of st when it is a constant of one element
// (of any numeric type but float16), else nil.
func (f *fuser) constScalar(st step, i int) *tensor.Tensor {
	if i >= len(st.in) || st.in[i] < 0 {
		return nil
	}
	c := f.pl.p.consts[st.in[i]]
	if c == nil || c.Len() != 1 || c.DType() == tensor.Float16 || c.DType() == tensor.String || c.DType() == tensor.Bool {
		return nil
	}
	return c
}

// fuseElementwise replaces each group of elementwise steps by one step.
// Groups grow from their last step (the root, whose output leaves the
// group) towards the producers of their operands: a producer joins when
// every reader of its output is in the group.
func (f *fuser) fuseElementwise() {
	steps := f.pl.p.steps
	cands := make([]*ewCand, len(steps))
	for i, st := range steps {
		if !f.removed[i] {
			cands[i] = f.ewCandidate(st)
		}
	}
	taken := make([]bool, len(steps))
	for root := len(steps) - 1; root >= 0; root-- {
		if cands[root] == nil || taken[root] {
			continue
		}
		members := f.growGroup(root, cands, taken)
		if len(members) < 2 && !f.floatConstOperand(steps[root], cands[root]) {
			// One step gains nothing, unless a float32 constant makes
			// it surely float32: then it runs on the cached layout and
			// its affine form on SIMD (a bias Add, a scale Mul).
			continue
		}
		k, ext, ok := f.compileGroup(members, cands)
		if !ok {
			continue
		}
		for _, m := range members {
			taken[m] = true
		}
		f.replaceGroup(root, members, k, ext)
	}
}

// floatConstOperand reports whether an operand of st is a float32
// constant.
func (f *fuser) floatConstOperand(st step, cd *ewCand) bool {
	for _, id := range st.in[:cd.operands] {
		if c := f.pl.p.consts[id]; c != nil && c.DType() == tensor.Float32 {
			return true
		}
	}
	return false
}

// growGroup returns the steps of the group ending at root, in order.
func (f *fuser) growGroup(root int, cands []*ewCand, taken []bool) []int {
	steps := f.pl.p.steps
	members := []int{root}
	in := map[int]bool{root: true}
	for changed := true; changed && len(members) < ewMaxNodes; {
		changed = false
		for _, m := range slices.Clone(members) {
			for _, id := range steps[m].in[:cands[m].operands] {
				p, ok := f.producer[id]
				if !ok || in[p] || taken[p] || cands[p] == nil || f.removed[p] || len(members) >= ewMaxNodes {
					continue
				}
				if f.pl.p.consts[id] != nil || f.readsIn(members, id) != f.uses[id] {
					continue
				}
				members = append(members, p)
				in[p] = true
				changed = true
			}
		}
	}
	slices.Sort(members)
	return members
}

// readsIn counts the reads of slot id by the steps of members.
func (f *fuser) readsIn(members []int, id int) int {
	n := 0
	for _, m := range members {
		for _, x := range f.pl.p.steps[m].in {
			if x == id {
				n++
			}
		}
	}
	return n
}

// ewCompiler turns a group into a program.
type ewCompiler struct {
	f *fuser
	// slot maps the group's values (slots of the plan) to program slots;
	// ext lists the plan slots of the group's inputs.
	slot    map[int]int
	ext     []int
	imm     map[int]float32
	minRank int
	// free lists the program registers free for reuse; lastRead the
	// index of the member reading each internal value last.
	free     []int
	nregs    int
	lastRead map[int]int
}

// compileGroup compiles the members (in step order, the root last) into a
// kernel, returning the plan slots of its inputs.
func (f *fuser) compileGroup(members []int, cands []*ewCand) (*ewKernel, []int, bool) {
	steps := f.pl.p.steps
	c := &ewCompiler{f: f, slot: map[int]int{}, imm: map[int]float32{}, lastRead: map[int]int{}}
	produced := map[int]int{}
	for i, m := range members {
		produced[steps[m].out[0]] = i
		c.minRank = max(c.minRank, cands[m].rank)
		for _, id := range steps[m].in[:cands[m].operands] {
			c.lastRead[id] = i
		}
	}
	// Inputs first: their program slots come before the registers.
	for _, m := range members {
		for _, id := range steps[m].in[:cands[m].operands] {
			if _, internal := produced[id]; internal || c.isInput(id) {
				continue
			}
			if v, ok := f.immediate(id); ok {
				c.imm[id] = v
				c.minRank = max(c.minRank, f.pl.p.consts[id].Rank())
				continue
			}
			c.ext = append(c.ext, id)
		}
	}
	if len(c.ext) > ewMaxInputs {
		return nil, nil, false
	}
	for i, id := range c.ext {
		c.slot[id] = i
	}
	k := &ewKernel{minRank: c.minRank}
	k.prog.nin = len(c.ext)
	var code []ewInstr
	for i, m := range members {
		in, ok := c.instr(cands[m], steps[m].in[:cands[m].operands], i, i == len(members)-1)
		if !ok {
			return nil, nil, false
		}
		code = append(code, in)
		c.slot[steps[m].out[0]] = in.d
	}
	// Register slots follow the inputs; the output slot follows them.
	out := len(c.ext) + c.nregs
	for i := range code {
		if code[i].d < 0 {
			code[i].d = out
		}
	}
	k.prog.code, k.prog.nregs = fuseSiLU(foldAffine(code)), c.nregs
	k.nodes = f.groupNodes(members, cands, c.ext, produced)
	for _, nd := range k.nodes {
		k.ops = append(k.ops, nd.op)
	}
	k.unary = len(c.ext) == 1 && f.pl.p.consts[c.ext[0]] == nil
	return k, c.ext, true
}

func (c *ewCompiler) isInput(id int) bool {
	_, imm := c.imm[id]
	return imm || slices.Contains(c.ext, id)
}

// immediate returns the value of a float32 constant of one element.
func (f *fuser) immediate(id int) (float32, bool) {
	t := f.pl.p.consts[id]
	if t == nil || t.DType() != tensor.Float32 || t.Len() != 1 {
		return 0, false
	}
	return tensor.Data[float32](t)[0], true
}

// instr compiles member i reading the plan slots ops; the root's
// destination is left -1 (the output slot, numbered once the registers
// are counted).
func (c *ewCompiler) instr(cd *ewCand, ops []int, i int, root bool) (ewInstr, bool) {
	in := ewInstr{op: cd.op, fn: cd.fn, imm: cd.imm, imm2: cd.hi, a: -1, b: -1, sigmoid: cd.sigmoid}
	if cd.operands == 2 {
		ia, aImm := c.imm[ops[0]]
		ib, bImm := c.imm[ops[1]]
		switch {
		case bImm:
			in.op, in.imm = scalarOp(cd.op, false), ib
		case aImm:
			in.op, in.imm = scalarOp(cd.op, true), ia
			ops = ops[1:]
		}
		if aImm || bImm {
			ops = ops[:1]
		}
	}
	for j, id := range ops {
		s, ok := c.slot[id]
		if !ok {
			return in, false
		}
		if j == 0 {
			in.a = s
		} else {
			in.b = s
		}
	}
	// Registers read for the last time are free for the destination.
	for _, id := range ops {
		if s := c.slot[id]; c.lastRead[id] == i && s >= len(c.ext) && !slices.Contains(c.free, s) {
			c.free = append(c.free, s)
		}
	}
	if root {
		in.d = -1
		return in, true
	}
	if n := len(c.free); n > 0 {
		in.d = c.free[n-1]
		c.free = c.free[:n-1]
		return in, true
	}
	if c.nregs >= ewMaxRegs {
		return in, false
	}
	in.d = len(c.ext) + c.nregs
	c.nregs++
	return in, true
}

// scalarOp returns the form of op with a constant second operand, or with
// a constant first operand when first.
func scalarOp(op ewOp, first bool) ewOp {
	switch op {
	case ewAdd:
		return ewAddS
	case ewMul:
		return ewMulS
	case ewMin:
		return ewMinS
	case ewMax:
		return ewMaxS
	case ewSub:
		if first {
			return ewRSubS
		}
		return ewSubS
	}
	if first {
		return ewRDivS
	}
	return ewDivS
}

// groupNodes records the original steps of a group, to run them when the
// program cannot (other element types).
func (f *fuser) groupNodes(members []int, cands []*ewCand, ext []int, produced map[int]int) []ewNode {
	steps := f.pl.p.steps
	var nodes []ewNode
	lastAt := map[int]int{}
	for i, m := range members {
		for _, id := range steps[m].in {
			lastAt[id] = i
		}
	}
	for i, m := range members {
		nd := ewNode{op: steps[m].node.OpType, kernel: steps[m].kernel}
		for _, id := range steps[m].in {
			a := ewArg{input: -1, node: -1}
			if p, ok := produced[id]; ok {
				a.node, a.last = p, lastAt[id] == i
			} else if a.input = slices.Index(ext, id); a.input < 0 && id >= 0 {
				a.c = f.pl.p.consts[id]
			}
			nd.args = append(nd.args, a)
		}
		nodes = append(nodes, nd)
	}
	return nodes
}

// replaceGroup puts the group's kernel in the root's step, reading ext,
// and removes the other members.
func (f *fuser) replaceGroup(root int, members []int, k *ewKernel, ext []int) {
	steps := f.pl.p.steps
	for _, id := range ext {
		f.uses[id] -= f.readsIn(members, id) - 1
	}
	st := steps[root]
	st.kernel = k
	st.in = slices.Clone(ext)
	steps[root] = st
	for _, m := range members {
		if m != root {
			f.removed[m] = true
		}
	}
}

// affineOf returns an instruction as x·m + c when it is one without a
// clamp (division by a constant becomes a product by its reciprocal).
func affineOf(in *ewInstr) (m, c float32, ok bool) {
	switch in.op {
	case ewAddS:
		return 1, in.imm, true
	case ewSubS:
		return 1, -in.imm, true
	case ewMulS:
		return in.imm, 0, true
	case ewDivS:
		return 1 / in.imm, 0, true
	case ewRSubS:
		return -1, in.imm, true
	case ewAffine:
		return in.imm, in.imm2, !in.clamp
	}
	return 0, 0, false
}

// foldAffine rewrites the affine instructions and clamps as ewAffine
// (which the SIMD tap kernel runs) and merges each into the next one when
// that is its only reader and is affine or a clamp: hardswish's Add and
// Clip, say, become one instruction.
func foldAffine(code []ewInstr) []ewInstr {
	for i := range code {
		in := &code[i]
		if m, c, ok := affineOf(in); ok {
			*in = ewInstr{op: ewAffine, d: in.d, a: in.a, b: -1, imm: m, imm2: c}
		} else if in.op == ewClamp {
			*in = ewInstr{op: ewAffine, d: in.d, a: in.a, b: -1, imm: 1, clamp: true, lo: in.imm, hi: in.imm2}
		}
	}
	for i := 0; i+1 < len(code); {
		p, q := &code[i], &code[i+1]
		if p.op != ewAffine || q.op != ewAffine || q.a != p.d || readsOf(code[i+1:], p.d) != 1 {
			i++
			continue
		}
		merged, ok := composeAffine(p, q)
		if !ok {
			i++
			continue
		}
		code[i+1] = merged
		code = append(code[:i], code[i+1:]...)
	}
	for i := range code {
		code[i].w[0] = code[i].imm
	}
	return code
}

// composeAffine returns q∘p as one ewAffine, false when it is not one:
// an affine map after a clamp, or clamps whose ranges do not overlap.
func composeAffine(p, q *ewInstr) (ewInstr, bool) {
	r := *q
	r.a = p.a
	switch {
	case !p.clamp:
		r.imm, r.imm2 = q.imm*p.imm, q.imm*p.imm2+q.imm2
		return r, true
	case q.imm == 1 && q.imm2 == 0:
		r.imm, r.imm2, r.clamp = p.imm, p.imm2, true
		r.lo, r.hi = p.lo, p.hi
		if q.clamp {
			r.lo, r.hi = max(p.lo, q.lo), min(p.hi, q.hi)
		}
		return r, r.lo <= r.hi
	}
	return r, false
}

// readsOf counts the reads of slot s by code until an instruction
// overwrites it (that one's reads included).
func readsOf(code []ewInstr, s int) int {
	n := 0
	for i := range code {
		in := &code[i]
		if in.a == s {
			n++
		}
		if in.b == s && in.op < ewPow && in.op >= ewAdd {
			n++
		}
		if in.d == s {
			break
		}
	}
	return n
}
