package native

import (
	"strings"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

// The gates of the float32 recurrent path (rnn_fast.go): vectorised with
// the default activations, or the node's activations in float64.

// defaultActivations reports whether names (all directions) are the
// operator's defaults: Tanh for RNN, Sigmoid and Tanh for GRU, Sigmoid,
// Tanh and Tanh for LSTM. nil means the defaults.
func defaultActivations(kind rnnKind, names []string) bool {
	def := [][]string{{"tanh"}, {"sigmoid", "tanh"}, {"sigmoid", "tanh", "tanh"}}[kind]
	for i, n := range names {
		if strings.ToLower(n) != def[i%len(def)] {
			return false
		}
	}
	return true
}

// lstmVec applies an LSTM step's gates to one batch element: p holds the
// pre-activations (i, o, f, c; overwritten), hs and cs the state.
func (f *rnnFast) lstmVec(p, hs, cs []float32) {
	v, h := f.vk, f.h
	v.Map(simd.VecSigmoid, p[:3*h], p[:3*h], nil, 0)
	v.Map(simd.VecTanh, p[3*h:4*h], p[3*h:4*h], nil, 0)
	v.Map(simd.VecMul, cs, cs, p[2*h:3*h], 0)        // f·c
	v.Map(simd.VecMul, p[3*h:4*h], p[3*h:4*h], p, 0) // i·z
	v.Map(simd.VecAdd, cs, cs, p[3*h:4*h], 0)        // c = f·c + i·z
	v.Map(simd.VecTanh, f.tmp, cs, nil, 0)
	v.Map(simd.VecMul, hs, f.tmp, p[h:2*h], 0) // h = o·tanh(c)
}

// gatesVec is gates with the default activations on the vector kernels.
func (f *rnnFast) gatesVec(gx, gh, hs, cs, rh, rbh []float32) {
	v, h := f.vk, f.h
	switch f.k.kind {
	case rnnPlain:
		v.Map(simd.VecAdd, hs, gx, gh, 0)
		v.Map(simd.VecTanh, hs, hs, nil, 0)
	case rnnLSTM:
		v.Map(simd.VecAdd, gh, gh, gx, 0)
		f.lstmVec(gh, hs, cs)
	case rnnGRU:
		z, r, cand := gh[:h], gh[h:2*h], f.cand
		v.Map(simd.VecAdd, gh[:2*h], gh, gx, 0)
		v.Map(simd.VecSigmoid, gh[:2*h], gh, nil, 0)
		if f.k.linearBefore {
			cand = gh[2*h : 3*h]
			if rbh != nil {
				v.Map(simd.VecAdd, cand, cand, rbh, 0)
			}
			v.Map(simd.VecMul, cand, cand, r, 0)
			v.Map(simd.VecAdd, cand, cand, gx[2*h:], 0)
		} else {
			v.Map(simd.VecAdd, cand, gx[2*h:], rh, 0)
		}
		v.Map(simd.VecTanh, cand, cand, nil, 0)
		// h = cand + z·(h − cand)
		v.Map(simd.VecSub, f.tmp, hs, cand, 0)
		v.Map(simd.VecMul, f.tmp, f.tmp, z, 0)
		v.Map(simd.VecAdd, hs, cand, f.tmp, 0)
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
		reset, state := f.reset[b*h:(b+1)*h], f.state[b*h:(b+1)*h]
		if f.vec {
			f.vk.Map(simd.VecAdd, f.tmp, gx[h:], ghb[h:], 0)
			f.vk.Map(simd.VecSigmoid, f.tmp, f.tmp, nil, 0)
			f.vk.Map(simd.VecMul, reset, f.tmp, state, 0)
			continue
		}
		for i := range h {
			rt := act(f.k.clipped(float64(gx[h+i] + ghb[h+i])))
			reset[i] = float32(rt) * state[i]
		}
	}
	for b := range f.batch {
		f.vk.Sum(f.rh[b*h:(b+1)*h], f.rt[2*h:], f.k.offs, f.reset[b*h:(b+1)*h], 0, false, 0, 0)
		if rbh != nil {
			f.vk.Map(simd.VecAdd, f.rh[b*h:(b+1)*h], f.rh[b*h:(b+1)*h], rbh, 0)
		}
	}
}

// gates applies the step's gates of one batch element to its state hs
// (and cell cs), from the input projection gx and the recurrent product
// gh (rh: GRU's candidate term without linear_before_reset), with the
// node's activations in float64.
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
		f.lstmGates(d, gx, gh, hs, cs, acts)
	}
}

// lstmGates is gates for an LSTM (order i, o, f, c; peepholes i, o, f).
func (f *rnnFast) lstmGates(d int, gx, gh, hs, cs []float32, acts []activation) {
	k, h := f.k, f.h
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
		ct := acts[1](k.clipped(float64(gx[3*h+i] + gh[3*h+i])))
		c = ft*c + it*ct
		ot := acts[0](k.clipped(float64(gx[h+i]+gh[h+i]) + po*c))
		cs[i] = float32(c)
		hs[i] = float32(ot * acts[2](c))
	}
}
