package native

import "math"

// maxPoolTaps computes a float32 2-D max pooling with the tap kernel: each
// plane is laid out in the phase planes of a tapLayout padded with -Inf,
// after which every output run is the maximum of shifted views. It reports
// false, doing nothing, for windows that may lie entirely in padding (pads
// as large as the window), which the generic loop handles.
func maxPoolTaps(rc *runCtx, g *geometry, planes int, x, y []float32) bool {
	l := newTapLayout(g)
	if l == nil {
		return false
	}
	for a := range 2 {
		extent := (g.kernel[a]-1)*g.dilation[a] + 1
		if g.padBegin[a] >= extent || g.padEnd[a] >= extent {
			return false
		}
	}
	tk := defaultTaps()
	taps := l.kh * l.kw
	plane := l.plane()
	// Small planes go several at a time: their phase planes follow each
	// other, so that one run covers them all.
	chunk := max(1, min(planes, 4096/plane))
	run := roundUp(chunk*plane, tk.Width)
	phaseStride := run + l.tail() + l.reach() + tk.Width
	offs := make([]int, taps)
	l.tapOffsets(offs, phaseStride)
	inPlane, outPlane := l.h*l.w, l.oh*l.ow
	negInf := float32(math.Inf(-1))
	tasks := (planes + chunk - 1) / chunk
	parallelFor(rc.threads, tasks, max(1, elemGrain/(chunk*outPlane*taps)), func(lo, hi int) {
		buf := getScratch(l.phases*phaseStride + run + l.w + 1)
		defer putScratch(buf)
		ph := (*buf)[:l.phases*phaseStride]
		tmp := (*buf)[len(ph) : len(ph)+run]
		scratch := (*buf)[len(ph)+run:]
		l.prefill(ph, chunk, phaseStride, negInf)
		for t := lo; t < hi; t++ {
			c0, c1 := t*chunk, min(planes, (t+1)*chunk)
			for c := c0; c < c1; c++ {
				l.build(ph[(c-c0)*plane:], x[c*inPlane:(c+1)*inPlane], phaseStride, tk, scratch)
			}
			n := roundUp((c1-c0)*plane, tk.Width)
			tk.Max(tmp[:n], ph, offs)
			for c := c0; c < c1; c++ {
				tk.Copy2D(y[c*outPlane:], l.ow, tmp[(c-c0)*plane:], l.wq, l.oh, l.ow)
			}
		}
	})
	return true
}

// maxPoolInside is max pooling for small planes whose windows all lie
// inside the input (no padding reached), several planes at a time: the
// stride-1 maximum over the planes taken as one run (the tap kernel), then
// every output picked from it with the strides. It reports false when a
// window reaches outside the input.
func maxPoolInside(rc *runCtx, g *geometry, planes int, x, y []float32) bool {
	h, w, oh, ow := g.in[0], g.in[1], g.out[0], g.out[1]
	kh, kw, sh, sw := g.kernel[0], g.kernel[1], g.stride[0], g.stride[1]
	dh, dw := g.dilation[0], g.dilation[1]
	if g.padBegin[0] != 0 || g.padBegin[1] != 0 || (oh-1)*sh+(kh-1)*dh >= h || (ow-1)*sw+(kw-1)*dw >= w {
		return false
	}
	tk := defaultTaps()
	offs := make([]int, 0, kh*kw)
	for i := range kh {
		for j := range kw {
			offs = append(offs, i*dh*w+j*dw)
		}
	}
	reach := offs[len(offs)-1]
	plane := h * w
	chunk := max(1, min(planes, 8192/plane))
	tasks := (planes + chunk - 1) / chunk
	parallelFor(rc.threads, tasks, max(1, elemGrain/(chunk*plane*len(offs))), func(lo, hi int) {
		run := roundUp(chunk*plane, tk.Width)
		buf := getScratch(2*run + reach)
		defer putScratch(buf)
		in, full := (*buf)[:run+reach], (*buf)[run+reach:]
		for t := lo; t < hi; t++ {
			c0, c1 := t*chunk, min(planes, (t+1)*chunk)
			copy(in, x[c0*plane:c1*plane])
			tk.Max(full[:roundUp((c1-c0)*plane, tk.Width)], in, offs)
			for c := c0; c < c1; c++ {
				src := full[(c-c0)*plane:]
				out := y[c*oh*ow : (c+1)*oh*ow]
				for oy := range oh {
					row := src[oy*sh*w:]
					dst := out[oy*ow : (oy+1)*ow]
					for ox := range dst {
						dst[ox] = row[ox*sw]
					}
				}
			}
		}
	})
	return true
}
