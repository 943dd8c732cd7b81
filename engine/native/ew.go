package native

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/inferd/inferd/engine/native/internal/simd"
	"github.com/inferd/inferd/tensor"
)

// A fused elementwise group (fuse_ew.go) runs as one pass over its output:
// a small program of float32 instructions over slots, each a block of at
// most ewBlock elements, interpreted block by block. Every instruction is a
// tight loop over its block, so the data stays in the L1 cache between
// the operations, which each read and write the whole tensor when unfused.
//
// Slots are numbered: the group's inputs first (a slice of the input, or a
// register holding a broadcast value), then the registers of the
// intermediate values, then the output, which the last instruction writes.

// ewBlock is the number of elements an instruction computes at a time.
const ewBlock = 128

// Bounds of a group: inputs and registers (the scratch of one block).
const (
	ewMaxInputs = 8
	ewMaxRegs   = 12
)

// ewScratchFloats is the scratch one goroutine needs to run a program.
const ewScratchFloats = (ewMaxInputs + ewMaxRegs) * ewBlock

type ewOp uint8

const (
	ewFunc  ewOp = iota // d = fn(a)
	ewClamp             // d = a bounded to [imm, imm2]
	ewAdd               // d = a + b
	ewSub
	ewMul
	ewDiv
	ewMin
	ewMax
	ewPow   // d = a ** imm
	ewAddS  // d = a + imm
	ewSubS  // d = a - imm
	ewMulS  // d = a * imm
	ewDivS  // d = a / imm
	ewRSubS // d = imm - a
	ewRDivS // d = imm / a
	ewMinS
	ewMaxS
	ewAffine // d = a·imm + imm2, then bounded to [lo, hi] when clamp
)

// ewInstr is one instruction of a program.
type ewInstr struct {
	op        ewOp
	d, a, b   int
	imm, imm2 float32
	fn        func(d, x []float32)
	// clamp, lo and hi bound an ewAffine's result; w holds its factor
	// for the tap kernel.
	clamp  bool
	lo, hi float32
	w      [1]float32
	// sigmoid marks an ewFunc computing Sigmoid (fuseSiLU).
	sigmoid bool
}

// ewProgram is the compiled form of a group.
type ewProgram struct {
	code  []ewInstr
	nin   int
	nregs int
}

// ewScratch recycles the scratch of program runs.
var ewScratch = freeList[[ewScratchFloats]float32]{}

// exec runs the program over one block: views holds a slice per slot
// (inputs, registers, output), each at least n long.
func (p *ewProgram) exec(views [][]float32, n int) {
	for i := range p.code {
		in := &p.code[i]
		d, a := views[in.d][:n], views[in.a][:n]
		switch in.op {
		case ewFunc:
			in.fn(d, a)
		case ewClamp:
			clampInto(d, a, in.imm, in.imm2)
		case ewAffine:
			ewAffineInto(in, d, a)
		case ewPow:
			e := float64(in.imm)
			for j, v := range a {
				d[j] = float32(math.Pow(float64(v), e))
			}
		case ewAddS, ewSubS, ewMulS, ewDivS, ewRSubS, ewRDivS, ewMinS, ewMaxS:
			ewScalar(in.op, d, a, in.imm)
		default:
			ewBinary(in.op, d, a, views[in.b][:n])
		}
	}
}

// clampInto sets d to a bounded to [lo, hi] (NaN kept).
func clampInto(d, a []float32, lo, hi float32) {
	a = a[:len(d)]
	for j, v := range a {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		d[j] = v
	}
}

// ewOffsets is the one tap of an affine instruction run by the SIMD tap
// kernel.
var ewOffsets = []int{0}

// ewAffineInto computes an ewAffine instruction, with the SIMD tap kernel
// when there is one (it reads each vector before storing it, so d may be
// a; the portable one may not be used in place).
func ewAffineInto(in *ewInstr, d, a []float32) {
	if tk := defaultTaps(); tk.Width > 1 {
		tk.Sum(d, a, ewOffsets, in.w[:], in.imm2, in.clamp, in.lo, in.hi)
		return
	}
	a = a[:len(d)]
	for j, v := range a {
		d[j] = v*in.imm + in.imm2
	}
	if in.clamp {
		clampSlice(d, in.lo, in.hi)
	}
}

// ewBinary computes d = a op b.
func ewBinary(op ewOp, d, a, b []float32) {
	if op <= ewDiv && mapSIMD(simd.VecAdd+simd.VecOp(op-ewAdd), d, a, b, 0) {
		return
	}
	a, b = a[:len(d)], b[:len(d)]
	switch op {
	case ewAdd:
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case ewSub:
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case ewMul:
		for i := range d {
			d[i] = a[i] * b[i]
		}
	case ewDiv:
		for i := range d {
			d[i] = a[i] / b[i]
		}
	case ewMin:
		for i := range d {
			d[i] = pickMin(a[i], b[i])
		}
	case ewMax:
		for i := range d {
			d[i] = pickMax(a[i], b[i])
		}
	}
}

// ewScalar computes d = a op s (or s op a for the reversed operators).
func ewScalar(op ewOp, d, a []float32, s float32) {
	a = a[:len(d)]
	switch op {
	case ewAddS:
		for i := range d {
			d[i] = a[i] + s
		}
	case ewSubS:
		for i := range d {
			d[i] = a[i] - s
		}
	case ewMulS:
		for i := range d {
			d[i] = a[i] * s
		}
	case ewDivS:
		for i := range d {
			d[i] = a[i] / s
		}
	case ewRSubS:
		for i := range d {
			d[i] = s - a[i]
		}
	case ewRDivS:
		for i := range d {
			d[i] = s / a[i]
		}
	case ewMinS:
		for i := range d {
			d[i] = pickMin(a[i], s)
		}
	case ewMaxS:
		for i := range d {
			d[i] = pickMax(a[i], s)
		}
	}
}

// pickMin and pickMax are Min and Max as the unfused operators compute
// them: the first operand when it is NaN or equal.
func pickMin(a, b float32) float32 {
	if a != a || a <= b {
		return a
	}
	return b
}

func pickMax(a, b float32) float32 {
	if a != a || a >= b {
		return a
	}
	return b
}

// ewKernel runs a fused group. Its inputs are the group's inputs; the
// fast path needs them all float32 (and at least one not constant, or it
// would have been folded), else the group runs as its original kernels.
type ewKernel struct {
	prog  ewProgram
	nodes []ewNode
	// ops lists the fused operators, for profiles.
	ops []string
	// unary is set when the program has one input and no other non-scalar
	// constant: it is then a function of one tensor, which a producing
	// Conv or Gemm applies to each block of its output.
	unary bool
	// minRank is the rank of the highest-rank constant folded into the
	// program: the output has at least that many dimensions.
	minRank int

	mu     sync.Mutex
	layout recent[ewLayout] // of the last few input shapes
}

// ewNode is one original node of a group, run when the fast path cannot
// be.
type ewNode struct {
	op     string
	kernel kernel
	args   []ewArg
}

// ewArg is an input of an ewNode: input of the group (input >= 0), output
// of an earlier node of the group (node >= 0; last when this is its last
// reader), a constant (c), or omitted.
type ewArg struct {
	input, node int
	last        bool
	c           *tensor.Tensor
}

// ewLayout is the broadcast iteration over the inputs, cached for the last
// input shapes.
type ewLayout struct {
	shapes [][]int
	shape  []int
	l      bcastLayout
	n      int // run length
	runs   int
}

// layoutFor returns the iteration over the broadcast of in's shapes, or
// nil when they do not broadcast together.
func (k *ewKernel) layoutFor(tag uint64, in []*tensor.Tensor) *ewLayout {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l := k.layout.find(tag, func(l *ewLayout) bool { return l.matches(in) }); l != nil {
		return l
	}
	shapes := make([][]int, len(in))
	for i, t := range in {
		shapes[i] = slices.Clone(t.Shape())
	}
	shape, err := broadcastShapes(shapes...)
	if err != nil {
		return nil
	}
	for len(shape) < k.minRank {
		shape = append([]int{1}, shape...)
	}
	l := &ewLayout{shapes: shapes, shape: shape, l: newBcastLayout(shape, shapes...)}
	l.n, l.runs = l.l.inner()
	k.layout.add(tag, l)
	return l
}

// matches reports whether in has the shapes l was made for.
func (l *ewLayout) matches(in []*tensor.Tensor) bool {
	if len(l.shapes) != len(in) {
		return false
	}
	for i, t := range in {
		if !slices.Equal(t.Shape(), l.shapes[i]) {
			return false
		}
	}
	return true
}

func (k *ewKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	for _, t := range in {
		if t.DType() != tensor.Float32 {
			return k.runNodes(rc, in, out)
		}
	}
	l := k.layoutFor(rc.tag, in)
	if l == nil {
		return k.runNodes(rc, in, out)
	}
	y := rc.alloc(tensor.Float32, l.shape)
	if y.Len() > 0 {
		b := ewRuns.get()
		b.k, b.l, b.in, b.y = k, l, in, tensor.Data[float32](y)
		grain := max(1, elemGrain/max(1, l.n))
		parallelRange(rc.threads, l.runs, grain, b)
		ewRuns.put(b)
	}
	out[0] = y
	return nil
}

// ewRun is the body of a parallel run of a program over runs of the
// broadcast layout.
type ewRun struct {
	k  *ewKernel
	l  *ewLayout
	in []*tensor.Tensor
	y  []float32
}

var ewRuns freeList[ewRun]

func (b *ewRun) do(lo, hi int) {
	p, l := &b.k.prog, b.l
	s := ewScratch.take()
	if s == nil {
		s = new([ewScratchFloats]float32)
	}
	var viewBuf [ewMaxInputs + ewMaxRegs + 1][]float32
	views := viewBuf[:p.nin+p.nregs+1]
	for r := range p.nregs {
		views[p.nin+r] = s[(ewMaxInputs+r)*ewBlock : (ewMaxInputs+r+1)*ewBlock]
	}
	n := l.n
	for r := lo; r < hi; r++ {
		for j := 0; j < n; j += ewBlock {
			m := min(ewBlock, n-j)
			for i, t := range b.in {
				x := tensor.Data[float32](t)
				o := l.l.offset(i, r)
				if l.l.innerStride(i) == 1 {
					views[i] = x[o+j : o+j+m]
					continue
				}
				reg := s[i*ewBlock : i*ewBlock+m]
				v := x[o]
				for q := range reg {
					reg[q] = v
				}
				views[i] = reg
			}
			views[p.nin+p.nregs] = b.y[r*n+j : r*n+j+m]
			p.exec(views, m)
		}
	}
	ewScratch.keep(s)
}

// apply runs a unary program in place over x, in blocks: the function a
// producing Conv or Gemm applies to its output.
func (k *ewKernel) apply(d, x []float32) {
	p := &k.prog
	s := ewScratch.take()
	if s == nil {
		s = new([ewScratchFloats]float32)
	}
	var viewBuf [ewMaxInputs + ewMaxRegs + 1][]float32
	views := viewBuf[:p.nin+p.nregs+1]
	for r := range p.nregs {
		views[p.nin+r] = s[(ewMaxInputs+r)*ewBlock : (ewMaxInputs+r+1)*ewBlock]
	}
	for j := 0; j < len(d); j += ewBlock {
		m := min(ewBlock, len(d)-j)
		views[0] = x[j : j+m]
		views[p.nin+p.nregs] = d[j : j+m]
		p.exec(views, m)
	}
	ewScratch.keep(s)
}

// runNodes runs the group as its original kernels, for inputs the program
// does not handle (other element types, shapes that do not broadcast).
// Intermediate values go back to the run's arena after their last use.
func (k *ewKernel) runNodes(rc *runCtx, in, out []*tensor.Tensor) error {
	vals := make([]*tensor.Tensor, len(k.nodes))
	for i, nd := range k.nodes {
		args := make([]*tensor.Tensor, len(nd.args))
		for j, a := range nd.args {
			switch {
			case a.input >= 0:
				args[j] = in[a.input]
			case a.node >= 0:
				args[j] = vals[a.node]
			default:
				args[j] = a.c
			}
		}
		res := make([]*tensor.Tensor, 1)
		if err := nd.kernel.run(rc, args, res); err != nil {
			return err
		}
		if res[0] == nil {
			return fmt.Errorf("%s produced no output", nd.op)
		}
		vals[i] = res[0]
		if rc.arena != nil {
			rc.arena.retain(res[0])
		}
		for _, a := range nd.args {
			if a.node >= 0 && a.last && rc.arena != nil {
				rc.arena.release(vals[a.node])
			}
		}
	}
	y := vals[len(vals)-1]
	if rc.arena != nil {
		// The step that ran the group counts the output's reference.
		rc.arena.disown(y)
	}
	out[0] = y
	return nil
}
