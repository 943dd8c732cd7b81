package native

import (
	"github.com/inferd/inferd/engine/native/internal/simd"
	"github.com/inferd/inferd/tensor"
)

// The float32 path of the recurrent operators: the input projection of
// every time step is one matrix product X·Wᵀ + biases before the time loop
// (Wᵀ packed once when W is a constant); LSTM's recurrent product H·Rᵀ of
// a whole batch is one packed GEMM per step accumulating into that step's
// projection, and for small batches (and RNN, GRU) each batch element's is
// a weighted sum of the rows of Rᵀ (the SIMD tap kernel). With the default
// activations, no clip, no peepholes and no input_forget the gates and the
// state update run on the vector kernels (rnn_gates.go); otherwise the
// node's activations are evaluated in float64. The scratch (projections,
// states) is taken once per run, nothing per step. Sequence lengths
// shorter than the sequence run the general, float64 path.

// rnnGemmBatch is the batch from which LSTM's recurrent product is one
// GEMM per step instead of one tap sum per batch element.
const rnnGemmBatch = 4

// rnnConst is what a recurrent operator with constant W and R prepares at
// build time, per direction: Wᵀ and Rᵀ packed for sgemm, and Rᵀ as rows
// ([h, g·h]) for the tap kernel.
type rnnConst struct {
	w, r []gemmOperand
	rt   [][]float32
}

// rnnFast is the state of one float32 run.
type rnnFast struct {
	k                    *rnnKernel
	seq, batch, in, g, h int
	x, w, r, bias, peep  []float32
	initH, initC         []float32
	y, yh, yc            []float32
	gx, gh, state, cell  []float32
	reset, rh, tmp, cand []float32
	cb                   []float32 // the direction's bias of the projection
	rt                   []float32 // the direction's Rᵀ, [h, g·h]
	vec                  bool      // the gates run on the vector kernels
	vk                   *simd.TapKernel
	threads              int
}

// prepare sets what the float32 path reuses across runs: the tap offsets,
// whether the gates can be vectorised, and packed constant weights.
func (k *rnnKernel) prepare(b *buildCtx, names []string) {
	g, h := k.kind.gates(), k.hidden
	gh := g * h
	k.offs = make([]int, h)
	for i := range k.offs {
		k.offs[i] = i * gh
	}
	k.vec = k.clip == 0 && !k.inputForget && defaultActivations(k.kind, names)
	w, r := b.constInput(1), b.constInput(2)
	if w == nil || r == nil || w.DType() != tensor.Float32 || r.DType() != tensor.Float32 ||
		w.Rank() != 3 || w.Shape()[0] != k.dirs || w.Shape()[1] != gh || r.Len() != k.dirs*gh*h {
		return
	}
	in := w.Shape()[2]
	wd, rd := tensor.Data[float32](w), tensor.Data[float32](r)
	p := &rnnConst{}
	for d := range k.dirs {
		p.w = append(p.w, prepackB(rowMajor(wd[d*gh*in:(d+1)*gh*in], in, true), in, gh))
		rdd := rd[d*gh*h : (d+1)*gh*h]
		p.r = append(p.r, prepackB(rowMajor(rdd, h, true), h, gh))
		rt := make([]float32, gh*h)
		transposeRows(rt, rdd, gh, h)
		p.rt = append(p.rt, rt)
	}
	k.pre = p
}

// transposeRows sets dst ([cols, rows]) to the transpose of src ([rows, cols]).
func transposeRows(dst, src []float32, rows, cols int) {
	for i := range rows {
		for j := range cols {
			dst[j*rows+i] = src[i*cols+j]
		}
	}
}

// runFast computes the operator in float32, false when it does not apply.
func (k *rnnKernel) runFast(rc *runCtx, in, out []*tensor.Tensor) bool {
	var f rnnFast
	if !k.fastInputs(&f, in) {
		return false
	}
	f.threads, f.vk = rc.threads, defaultTaps()
	f.vec = k.vec && f.peep == nil
	f.allocOutputs(rc, out)
	gh, h, bh := f.g*f.h, f.h, f.batch*f.h
	rtLen := 0
	if k.pre == nil {
		rtLen = gh * h
	}
	buf := getScratch(f.seq*f.batch*gh + f.batch*gh + 4*bh + 2*h + gh + rtLen)
	defer putScratch(buf)
	s := *buf
	take := func(n int) []float32 {
		v := s[:n:n]
		s = s[n:]
		return v
	}
	f.gx, f.gh, f.cb, f.rt = take(f.seq*f.batch*gh), take(f.batch*gh), take(gh), take(rtLen)
	f.state, f.cell, f.reset, f.rh = take(bh), take(bh), take(bh), take(bh)
	f.tmp, f.cand = take(h), take(h)
	for d := range k.dirs {
		f.direction(d, k.reverse || d == 1)
	}
	return true
}

// allocOutputs allocates the requested outputs (Y, Y_h and LSTM's Y_c).
func (f *rnnFast) allocOutputs(rc *runCtx, out []*tensor.Tensor) {
	k := f.k
	var yShape, sShape [4]int
	if k.batchMajor {
		yShape, sShape = [4]int{f.batch, f.seq, k.dirs, f.h}, [4]int{f.batch, k.dirs, f.h}
	} else {
		yShape, sShape = [4]int{f.seq, k.dirs, f.batch, f.h}, [4]int{k.dirs, f.batch, f.h}
	}
	if len(out) > 0 {
		out[0] = rc.alloc(tensor.Float32, yShape[:])
		f.y = tensor.Data[float32](out[0])
	}
	if len(out) > 1 {
		out[1] = rc.alloc(tensor.Float32, sShape[:3])
		f.yh = tensor.Data[float32](out[1])
	}
	if len(out) > 2 && k.kind == rnnLSTM {
		out[2] = rc.alloc(tensor.Float32, sShape[:3])
		f.yc = tensor.Data[float32](out[2])
	}
}

// fastInputs checks the inputs for the float32 path and points f at them.
func (k *rnnKernel) fastInputs(f *rnnFast, in []*tensor.Tensor) bool {
	x := in[0]
	if x.DType() != tensor.Float32 || x.Rank() != 3 || len(in) < 3 || in[1] == nil || in[2] == nil {
		return false
	}
	*f = rnnFast{k: k, g: k.kind.gates(), h: k.hidden, seq: x.Shape()[0], batch: x.Shape()[1], in: x.Shape()[2]}
	if k.batchMajor {
		f.seq, f.batch = f.batch, f.seq
	}
	gh, dirs := f.g*f.h, k.dirs
	slots := [...]struct {
		i, n int
		v    *[]float32
	}{
		{0, f.seq * f.batch * f.in, &f.x}, {1, dirs * gh * f.in, &f.w}, {2, dirs * gh * f.h, &f.r},
		{3, dirs * 2 * gh, &f.bias}, {5, dirs * f.batch * f.h, &f.initH}, {6, dirs * f.batch * f.h, &f.initC},
		{7, dirs * 3 * f.h, &f.peep},
	}
	for _, s := range slots {
		if s.i >= len(in) || in[s.i] == nil || k.kind != rnnLSTM && s.i > 5 {
			continue
		}
		t := in[s.i]
		if t.DType() != tensor.Float32 || t.Len() != s.n {
			return false
		}
		*s.v = tensor.Data[float32](t)
	}
	if len(in) > 4 && in[4] != nil {
		lens, err := intsOf(in[4])
		if err != nil || len(lens) != f.batch {
			return false
		}
		for _, l := range lens {
			if l != f.seq {
				return false
			}
		}
	}
	return true
}

// xRow, yOff and sOff locate time step t of batch element b in X and Y,
// and b's state of direction d, in either layout.
func (f *rnnFast) xRow(t, b int) int {
	if f.k.batchMajor {
		return b*f.seq + t
	}
	return t*f.batch + b
}

func (f *rnnFast) yOff(t, d, b int) int {
	if f.k.batchMajor {
		return ((b*f.seq+t)*f.k.dirs + d) * f.h
	}
	return ((t*f.k.dirs+d)*f.batch + b) * f.h
}

func (f *rnnFast) sOff(d, b int) int {
	if f.k.batchMajor {
		return (b*f.k.dirs + d) * f.h
	}
	return (d*f.batch + b) * f.h
}

// direction runs direction d over the sequence.
func (f *rnnFast) direction(d int, reverse bool) {
	h := f.h
	rbh := f.project(d)
	f.initState(d)
	rOp := f.recurrentWeights(d)
	gemm := f.vec && f.k.kind == rnnLSTM && f.batch >= rnnGemmBatch
	for s := range f.seq {
		t := s
		if reverse {
			t = f.seq - 1 - s
		}
		if gemm {
			f.lstmGemmStep(d, t, rOp)
		} else {
			f.tapStep(d, t, rbh)
		}
	}
	for b := range f.batch {
		o := f.sOff(d, b)
		if f.yh != nil {
			copy(f.yh[o:o+h], f.state[b*h:(b+1)*h])
		}
		if f.yc != nil {
			copy(f.yc[o:o+h], f.cell[b*h:(b+1)*h])
		}
	}
}

// recurrentWeights sets f.rt to direction d's Rᵀ rows and returns Rᵀ as a
// GEMM operand, packed when R is a constant.
func (f *rnnFast) recurrentWeights(d int) gemmOperand {
	h, gh := f.h, f.g*f.h
	if p := f.k.pre; p != nil {
		f.rt = p.rt[d]
		return p.r[d]
	}
	r := f.r[d*gh*h : (d+1)*gh*h]
	transposeRows(f.rt, r, gh, h)
	return rowMajor(r, h, true)
}

// lstmGemmStep runs step t of an LSTM on the whole batch: G += H·Rᵀ in
// place in the step's projection rows, then the vector gates.
func (f *rnnFast) lstmGemmStep(d, t int, rOp gemmOperand) {
	h, gh := f.h, f.g*f.h
	ldc := gh
	if f.k.batchMajor {
		ldc = f.seq * gh
	}
	sgemm(f.batch, gh, h, 1, rowMajor(f.state, h, false), rOp, 1, f.gx[f.xRow(t, 0)*gh:], ldc, 1)
	for b := range f.batch {
		hs := f.state[b*h : (b+1)*h]
		f.lstmVec(f.gx[f.xRow(t, b)*gh:][:gh], hs, f.cell[b*h:(b+1)*h])
		if f.y != nil {
			copy(f.y[f.yOff(t, d, b):][:h], hs)
		}
	}
}

// tapStep runs step t: each batch element's H·Rᵀ as a sum of Rᵀ's rows
// weighted by H, then the gates.
func (f *rnnFast) tapStep(d, t int, rbh []float32) {
	h, gh := f.h, f.g*f.h
	rows := gh
	gruReset := f.k.kind == rnnGRU && !f.k.linearBefore
	if gruReset {
		rows = 2 * h // the candidate's product needs the reset state
	}
	for b := range f.batch {
		f.vk.Sum(f.gh[b*gh:b*gh+rows], f.rt, f.k.offs, f.state[b*h:(b+1)*h], 0, false, 0, 0)
	}
	if gruReset {
		f.gruReset(d, t, rbh)
	}
	for b := range f.batch {
		gx := f.gx[f.xRow(t, b)*gh : (f.xRow(t, b)+1)*gh]
		hs := f.state[b*h : (b+1)*h]
		if f.vec {
			f.gatesVec(gx, f.gh[b*gh:(b+1)*gh], hs, f.cell[b*h:(b+1)*h], f.rh[b*h:(b+1)*h], rbh)
		} else {
			f.gates(d, gx, f.gh[b*gh:(b+1)*gh], hs, f.cell[b*h:(b+1)*h], f.rh[b*h:(b+1)*h], rbh)
		}
		if f.y != nil {
			copy(f.y[f.yOff(t, d, b):][:h], hs)
		}
	}
}

// project computes Gx = X·Wᵀ of direction d, with the rows in X's order,
// plus the biases that add linearly (all but GRU's recurrent bias of the
// candidate, which it returns), the sum of biases being the GEMM's column
// bias.
func (f *rnnFast) project(d int) (rbh []float32) {
	h, gh := f.h, f.g*f.h
	w := rowMajor(f.w[d*gh*f.in:(d+1)*gh*f.in], f.in, true)
	if p := f.k.pre; p != nil {
		w = p.w[d]
	}
	var ep *gemmEpilogue
	var epv gemmEpilogue
	if f.bias != nil {
		wb, rb := f.bias[d*2*gh:d*2*gh+gh], f.bias[d*2*gh+gh:(d+1)*2*gh]
		lin := gh
		if f.k.kind == rnnGRU {
			lin, rbh = 2*h, rb[2*h:]
		}
		copy(f.cb, wb)
		for i := range lin {
			f.cb[i] += rb[i]
		}
		epv.colBias, ep = f.cb, &epv
	}
	sgemmEp(defaultGemm(), f.seq*f.batch, gh, f.in, 1, rowMajor(f.x, f.in, false), w, 0, f.gx, gh, f.threads, ep)
	return rbh
}

// initState sets the states of direction d from the initial ones, or to
// zero.
func (f *rnnFast) initState(d int) {
	h := f.h
	for b := range f.batch {
		o := f.sOff(d, b)
		hs, cs := f.state[b*h:(b+1)*h], f.cell[b*h:(b+1)*h]
		if f.initH != nil {
			copy(hs, f.initH[o:o+h])
		} else {
			clear(hs)
		}
		if f.initC != nil {
			copy(cs, f.initC[o:o+h])
		} else {
			clear(cs)
		}
	}
}
