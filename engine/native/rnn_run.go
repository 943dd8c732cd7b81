package native

import (
	"github.com/inferd/inferd/tensor"
)

// The time loop of the recurrent operators (see rnn.go).

func (k *rnnKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	if k.runFast(rc, in, out) {
		return nil
	}
	ri, err := k.inputs(in)
	if err != nil {
		return err
	}
	h, batch, seq := k.hidden, ri.batch, ri.seq
	y := make([]float64, seq*k.dirs*batch*h) // [seq, dirs, batch, h]
	yh := make([]float64, k.dirs*batch*h)
	yc := make([]float64, k.dirs*batch*h)
	for d := range k.dirs {
		reverse := k.reverse || d == 1
		k.direction(ri, d, reverse, y, yh[d*batch*h:(d+1)*batch*h], yc[d*batch*h:(d+1)*batch*h])
	}
	dt := in[0].DType()
	emit := func(i int, v []float64, shape ...int) {
		if i < len(out) {
			t := tensor.New(dt, shape...)
			castSlice(t.Data(), v)
			out[i] = t
		}
	}
	if k.batchMajor {
		// [seq, dirs, batch, h] -> [batch, seq, dirs, h]; [dirs, batch, h] -> [batch, dirs, h].
		yb := make([]float64, len(y))
		for s := range seq {
			for d := range k.dirs {
				for b := range batch {
					copy(yb[((b*seq+s)*k.dirs+d)*h:][:h], y[((s*k.dirs+d)*batch+b)*h:][:h])
				}
			}
		}
		emit(0, yb, batch, seq, k.dirs, h)
		emit(1, swap01(yh, k.dirs, batch, h), batch, k.dirs, h)
		emit(2, swap01(yc, k.dirs, batch, h), batch, k.dirs, h)
		return nil
	}
	emit(0, y, seq, k.dirs, batch, h)
	emit(1, yh, k.dirs, batch, h)
	emit(2, yc, k.dirs, batch, h)
	return nil
}

// direction runs direction d over the sequence, writing its outputs into
// y ([seq, dirs, batch, h]) and its final states into hOut and cOut.
func (k *rnnKernel) direction(ri *rnnInputs, d int, reverse bool, y, hOut, cOut []float64) {
	g, h, in, batch, seq := k.kind.gates(), k.hidden, ri.input, ri.batch, ri.seq
	w := ri.w[d*g*h*in : (d+1)*g*h*in]
	r := ri.r[d*g*h*h : (d+1)*g*h*h]
	var wb, rb, peep []float64
	if ri.bias != nil {
		wb = ri.bias[d*2*g*h : d*2*g*h+g*h]
		rb = ri.bias[d*2*g*h+g*h : (d+1)*2*g*h]
	}
	if ri.peep != nil {
		peep = ri.peep[d*3*h : (d+1)*3*h]
	}
	acts := k.acts[d*k.kind.acts() : (d+1)*k.kind.acts()]
	state := make([]float64, batch*h)
	cell := make([]float64, batch*h)
	if ri.initH != nil {
		copy(state, ri.initH[d*batch*h:(d+1)*batch*h])
	}
	if ri.initC != nil {
		copy(cell, ri.initC[d*batch*h:(d+1)*batch*h])
	}
	gx := make([]float64, g*h)
	gh := make([]float64, g*h)
	for b := range batch {
		length := seq
		if ri.lens != nil {
			length = min(max(ri.lens[b], 0), seq)
		}
		hs, cs := state[b*h:(b+1)*h], cell[b*h:(b+1)*h]
		for s := range length {
			t := s
			if reverse {
				t = length - 1 - s
			}
			x := ri.x[(t*batch+b)*in : (t*batch+b+1)*in]
			matVec(gx, w, x, wb)
			matVec(gh, r, hs, rb)
			switch k.kind {
			case rnnPlain:
				for i := range h {
					hs[i] = acts[0](k.clipped(gx[i] + gh[i]))
				}
			case rnnGRU:
				k.gruStep(gx, gh, hs, r, rb, acts)
			case rnnLSTM:
				k.lstmStep(gx, gh, hs, cs, peep, acts)
			}
			copy(y[((t*k.dirs+d)*batch+b)*h:][:h], hs)
		}
		copy(hOut[b*h:(b+1)*h], hs)
		copy(cOut[b*h:(b+1)*h], cs)
	}
}

func (k *rnnKernel) clipped(v float64) float64 {
	if k.clip > 0 {
		return max(-k.clip, min(k.clip, v))
	}
	return v
}

// gruStep updates hs from the gate pre-activations (order z, r, h).
func (k *rnnKernel) gruStep(gx, gh, hs, r, rb []float64, acts []activation) {
	h := k.hidden
	z := make([]float64, h)
	rt := make([]float64, h)
	for i := range h {
		z[i] = acts[0](k.clipped(gx[i] + gh[i]))
		rt[i] = acts[0](k.clipped(gx[h+i] + gh[h+i]))
	}
	cand := make([]float64, h)
	if k.linearBefore {
		for i := range h {
			cand[i] = acts[1](k.clipped(gx[2*h+i] + rt[i]*gh[2*h+i]))
		}
	} else {
		// (rt ⊙ H) · Rh^T + Rbh, recomputed with the reset state.
		reset := make([]float64, h)
		for i := range h {
			reset[i] = rt[i] * hs[i]
		}
		var rbh []float64
		if rb != nil {
			rbh = rb[2*h : 3*h]
		}
		rh := make([]float64, h)
		matVec(rh, r[2*h*h:3*h*h], reset, rbh)
		for i := range h {
			cand[i] = acts[1](k.clipped(gx[2*h+i] + rh[i]))
		}
	}
	for i := range h {
		hs[i] = (1-z[i])*cand[i] + z[i]*hs[i]
	}
}

// lstmStep updates hs and cs from the gate pre-activations (order i, o,
// f, c; peepholes i, o, f).
func (k *rnnKernel) lstmStep(gx, gh, hs, cs, peep []float64, acts []activation) {
	h := k.hidden
	for i := range h {
		pre := func(gate int) float64 { return gx[gate*h+i] + gh[gate*h+i] }
		var pi, po, pf float64
		if peep != nil {
			pi, po, pf = peep[i], peep[h+i], peep[2*h+i]
		}
		it := acts[0](k.clipped(pre(0) + pi*cs[i]))
		ft := acts[0](k.clipped(pre(2) + pf*cs[i]))
		if k.inputForget {
			ft = 1 - it
		}
		ct := acts[1](k.clipped(pre(3)))
		cs[i] = ft*cs[i] + it*ct
		ot := acts[0](k.clipped(pre(1) + po*cs[i]))
		hs[i] = ot * acts[2](cs[i])
	}
}

// matVec sets dst = m·v + bias for m of shape [len(dst), len(v)].
func matVec(dst, m, v, bias []float64) {
	n := len(v)
	for i := range dst {
		row := m[i*n : (i+1)*n]
		var s float64
		for j, x := range v {
			s += row[j] * x
		}
		if bias != nil {
			s += bias[i]
		}
		dst[i] = s
	}
}
