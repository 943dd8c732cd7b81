package native

import (
	"github.com/inferd/inferd/tensor"
)

// The float32 path of the recurrent operators: the input projection of
// every time step is one matrix product X·Wᵀ (+ biases) before the time
// loop; each step's recurrent product H·Rᵀ is a weighted sum of the rows
// of Rᵀ (the SIMD tap kernel), then the gates are applied in place. The scratch (projections, states) is
// taken once per run, not per step. It takes float32 inputs without
// sequence lengths shorter than the sequence (those run the general,
// float64 path); activations are the node's, evaluated in float64 as
// there.

// rnnFast is the state of one float32 run.
type rnnFast struct {
	k                    *rnnKernel
	seq, batch, in, g, h int
	x, w, r, bias, peep  []float32
	initH, initC         []float32
	y, yh, yc            []float32
	gx, gh, state, cell  []float32
	reset, rh            []float32
	// rt is the direction's R transposed ([h, g·h]) and offs the offsets
	// of its rows: the taps of the recurrent products.
	rt      []float32
	offs    []int
	threads int
}

// runFast computes the operator in float32, false when it does not apply.
func (k *rnnKernel) runFast(rc *runCtx, in, out []*tensor.Tensor) bool {
	f, ok := k.fastInputs(in)
	if !ok {
		return false
	}
	f.threads = rc.threads
	yShape := []int{f.seq, k.dirs, f.batch, f.h}
	sShape := []int{k.dirs, f.batch, f.h}
	if k.batchMajor {
		yShape = []int{f.batch, f.seq, k.dirs, f.h}
		sShape = []int{f.batch, k.dirs, f.h}
	}
	outs := []*[]float32{&f.y, &f.yh, &f.yc}
	for i, sh := range [][]int{yShape, sShape, sShape} {
		if i < len(out) && (i < 2 || k.kind == rnnLSTM) {
			out[i] = rc.alloc(tensor.Float32, sh)
			*outs[i] = tensor.Data[float32](out[i])
		}
	}
	gh := f.g * f.h
	buf := getScratch(f.seq*f.batch*gh + f.batch*(gh+4*f.h) + gh*f.h)
	defer putScratch(buf)
	s := *buf
	f.rt, s = s[:gh*f.h], s[gh*f.h:]
	f.offs = make([]int, f.h)
	for i := range f.offs {
		f.offs[i] = i * gh
	}
	f.gx, s = s[:f.seq*f.batch*gh], s[f.seq*f.batch*gh:]
	f.gh, s = s[:f.batch*gh], s[f.batch*gh:]
	f.state, s = s[:f.batch*f.h], s[f.batch*f.h:]
	f.cell, s = s[:f.batch*f.h], s[f.batch*f.h:]
	f.reset, f.rh = s[:f.batch*f.h], s[f.batch*f.h:2*f.batch*f.h]
	for d := range k.dirs {
		f.direction(d, k.reverse || d == 1)
	}
	return true
}

// fastInputs checks the inputs for the float32 path.
func (k *rnnKernel) fastInputs(in []*tensor.Tensor) (*rnnFast, bool) {
	x := in[0]
	if x.DType() != tensor.Float32 || x.Rank() != 3 || len(in) < 3 || in[1] == nil || in[2] == nil {
		return nil, false
	}
	f := &rnnFast{k: k, g: k.kind.gates(), h: k.hidden, seq: x.Shape()[0], batch: x.Shape()[1], in: x.Shape()[2]}
	if k.batchMajor {
		f.seq, f.batch = f.batch, f.seq
	}
	gh, dirs := f.g*f.h, k.dirs
	slots := []struct {
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
			return nil, false
		}
		*s.v = tensor.Data[float32](t)
	}
	if len(in) > 4 && in[4] != nil {
		lens, err := intsOf(in[4])
		if err != nil || len(lens) != f.batch {
			return nil, false
		}
		for _, l := range lens {
			if l != f.seq {
				return nil, false
			}
		}
	}
	return f, true
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
	h, gh := f.h, f.g*f.h
	r := f.r[d*gh*h : (d+1)*gh*h]
	rbh := f.project(d)
	f.initState(d)
	rows := gh
	if f.k.kind == rnnGRU && !f.k.linearBefore {
		rows = 2 * h // the candidate's product needs the reset state
	}
	for i := range gh {
		for j := range h {
			f.rt[j*gh+i] = r[i*h+j]
		}
	}
	tk := defaultTaps()
	for s := range f.seq {
		t := s
		if reverse {
			t = f.seq - 1 - s
		}
		// H·Rᵀ per batch element, as a sum of R's columns weighted by H.
		for b := range f.batch {
			tk.Sum(f.gh[b*gh:b*gh+rows], f.rt, f.offs, f.state[b*h:(b+1)*h], 0, false, 0, 0)
		}
		if f.k.kind == rnnGRU && !f.k.linearBefore {
			f.gruReset(d, t, rbh)
		}
		for b := range f.batch {
			gx := f.gx[f.xRow(t, b)*gh : (f.xRow(t, b)+1)*gh]
			hs := f.state[b*h : (b+1)*h]
			f.gates(d, gx, f.gh[b*gh:(b+1)*gh], hs, f.cell[b*h:(b+1)*h], f.rh[b*h:(b+1)*h], rbh)
			if f.y != nil {
				copy(f.y[f.yOff(t, d, b):][:h], hs)
			}
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

// project computes Gx = X·Wᵀ of direction d, with the rows in X's order,
// plus the biases that add linearly (all but GRU's recurrent bias of the
// candidate, which it returns).
func (f *rnnFast) project(d int) (rbh []float32) {
	h, gh := f.h, f.g*f.h
	w := f.w[d*gh*f.in : (d+1)*gh*f.in]
	sgemm(f.seq*f.batch, gh, f.in, 1, rowMajor(f.x, f.in, false), rowMajor(w, f.in, true), 0, f.gx, gh, f.threads)
	if f.bias == nil {
		return nil
	}
	wb, rb := f.bias[d*2*gh:d*2*gh+gh], f.bias[d*2*gh+gh:(d+1)*2*gh]
	lin := gh
	if f.k.kind == rnnGRU {
		lin, rbh = 2*h, rb[2*h:]
	}
	for row := range f.seq * f.batch {
		gr := f.gx[row*gh : (row+1)*gh]
		for i := range gr {
			gr[i] += wb[i]
		}
		for i := range lin {
			gr[i] += rb[i]
		}
	}
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

// gruReset computes, for GRU without linear_before_reset, the candidate's
// recurrent term (rt ⊙ H)·Rhᵀ + Rbh into rh, rt from the step's z and r
// pre-activations.
func (f *rnnFast) gruReset(d, t int, rbh []float32) {
	h, gh := f.h, f.g*f.h
	act := f.k.acts[d*f.k.kind.acts()]
	for b := range f.batch {
		gx := f.gx[f.xRow(t, b)*gh:]
		ghb := f.gh[b*gh:]
		for i := range h {
			rt := act(f.k.clipped(float64(gx[h+i] + ghb[h+i])))
			f.reset[b*h+i] = float32(rt) * f.state[b*h+i]
		}
	}
	tk := defaultTaps()
	for b := range f.batch {
		tk.Sum(f.rh[b*h:(b+1)*h], f.rt[2*h:], f.offs, f.reset[b*h:(b+1)*h], 0, false, 0, 0)
		if rbh != nil {
			for i := range h {
				f.rh[b*h+i] += rbh[i]
			}
		}
	}
}

// gates applies the step's gates of one batch element to its state hs
// (and cell cs), from the input projection gx and the recurrent product
// gh (rh: GRU's candidate term without linear_before_reset).
func (f *rnnFast) gates(d int, gx, gh, hs, cs, rh, rbh []float32) {
	k, h := f.k, f.h
	acts := k.acts[d*k.kind.acts() : (d+1)*k.kind.acts()]
	clip := func(v float32) float64 { return k.clipped(float64(v)) }
	switch k.kind {
	case rnnPlain:
		for i := range h {
			hs[i] = float32(acts[0](clip(gx[i] + gh[i])))
		}
	case rnnGRU:
		for i := range h {
			z := acts[0](clip(gx[i] + gh[i]))
			rt := acts[0](clip(gx[h+i] + gh[h+i]))
			var cand float64
			if k.linearBefore {
				ghh := gh[2*h+i]
				if rbh != nil {
					ghh += rbh[i]
				}
				cand = acts[1](k.clipped(float64(gx[2*h+i]) + rt*float64(ghh)))
			} else {
				cand = acts[1](clip(gx[2*h+i] + rh[i]))
			}
			hs[i] = float32((1-z)*cand + z*float64(hs[i]))
		}
	case rnnLSTM:
		var peep []float32
		if f.peep != nil {
			peep = f.peep[d*3*h : (d+1)*3*h]
		}
		for i := range h {
			var pi, po, pf float64
			if peep != nil {
				pi, po, pf = float64(peep[i]), float64(peep[h+i]), float64(peep[2*h+i])
			}
			c := float64(cs[i])
			it := acts[0](k.clipped(float64(gx[i]+gh[i]) + pi*c))
			ft := acts[0](k.clipped(float64(gx[2*h+i]+gh[2*h+i]) + pf*c))
			if k.inputForget {
				ft = 1 - it
			}
			ct := acts[1](clip(gx[3*h+i] + gh[3*h+i]))
			c = ft*c + it*ct
			ot := acts[0](k.clipped(float64(gx[h+i]+gh[h+i]) + po*c))
			cs[i] = float32(c)
			hs[i] = float32(ot * acts[2](c))
		}
	}
}
