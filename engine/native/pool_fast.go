package native

import (
	"math"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

// tapsPool is a float32 2-D max pooling with the tap kernel: each plane is
// laid out in the phase planes of a tapLayout padded with -Inf, after
// which every output run is the maximum of shifted views. Small planes go
// several (chunk) at a time: their phase planes follow each other, so
// that one run covers them all.
type tapsPool struct {
	l                       *tapLayout
	tk                      *simd.TapKernel
	planes, chunk           int
	run, phaseStride, tasks int
	offs                    []int
}

// planMaxPoolTaps plans the pooling of planes planes of geometry g with
// the tap kernel, or returns nil for windows that may lie entirely in
// padding (pads as large as the window), which the generic loop handles.
func planMaxPoolTaps(g *geometry, planes int) *tapsPool {
	l := newTapLayout(g)
	if l == nil {
		return nil
	}
	for a := range 2 {
		extent := (g.kernel[a]-1)*g.dilation[a] + 1
		if g.padBegin[a] >= extent || g.padEnd[a] >= extent {
			return nil
		}
	}
	tp := &tapsPool{l: l, tk: defaultTaps(), planes: planes}
	tp.chunk = max(1, min(planes, 4096/l.plane()))
	tp.run = roundUp(tp.chunk*l.plane(), tp.tk.Width)
	tp.phaseStride = tp.run + l.tail() + l.reach() + tp.tk.Width
	tp.offs = make([]int, l.kh*l.kw)
	l.tapOffsets(tp.offs, tp.phaseStride)
	tp.tasks = (planes + tp.chunk - 1) / tp.chunk
	return tp
}

// maxPoolTaps plans and runs a tapsPool, reporting false, doing nothing,
// when it does not apply.
func maxPoolTaps(rc *runCtx, g *geometry, planes int, x, y []float32) bool {
	tp := planMaxPoolTaps(g, planes)
	if tp == nil {
		return false
	}
	tp.pool(rc, x, y)
	return true
}

// pool computes y from x.
func (tp *tapsPool) pool(rc *runCtx, x, y []float32) {
	b := poolBodies.get()
	defer poolBodies.put(b)
	b.taps, b.x, b.y = tp, x, y
	l := tp.l
	parallelRange(rc.threads, tp.tasks, max(1, elemGrain/(tp.chunk*l.oh*l.ow*len(tp.offs))), b)
}

func (tp *tapsPool) do(x, y []float32, lo, hi int) {
	l, tk := tp.l, tp.tk
	buf := getScratch(l.phases*tp.phaseStride + tp.run + l.w + 1)
	defer putScratch(buf)
	ph := (*buf)[:l.phases*tp.phaseStride]
	tmp := (*buf)[len(ph) : len(ph)+tp.run]
	scratch := (*buf)[len(ph)+tp.run:]
	l.prefill(ph, tp.chunk, tp.phaseStride, float32(math.Inf(-1)))
	plane, inPlane, outPlane := l.plane(), l.h*l.w, l.oh*l.ow
	for t := lo; t < hi; t++ {
		c0, c1 := t*tp.chunk, min(tp.planes, (t+1)*tp.chunk)
		for c := c0; c < c1; c++ {
			l.build(ph[(c-c0)*plane:], x[c*inPlane:(c+1)*inPlane], tp.phaseStride, tk, scratch)
		}
		n := roundUp((c1-c0)*plane, tk.Width)
		tk.Max(tmp[:n], ph, tp.offs)
		for c := c0; c < c1; c++ {
			tk.Copy2D(y[c*outPlane:], l.ow, tmp[(c-c0)*plane:], l.wq, l.oh, l.ow)
		}
	}
}

// insidePool is max pooling for small planes whose windows all lie inside
// the input (no padding reached), chunk planes at a time: the stride-1
// maximum over the planes taken as one run (the tap kernel), then every
// output picked from it with the strides.
type insidePool struct {
	g                           geometry
	tk                          *simd.TapKernel
	planes, plane, chunk, tasks int
	offs                        []int
	// pairs is set for 2×2 windows with stride 2 tiling the planes
	// exactly: do then splits the rows into their even and odd columns
	// first, so that the maximum is taken at the outputs only.
	pairs bool
}

// planMaxPoolInside plans the pooling of planes planes of geometry g, or
// returns nil when a window reaches outside the input.
func planMaxPoolInside(g *geometry, planes int) *insidePool {
	h, w, oh, ow := g.in[0], g.in[1], g.out[0], g.out[1]
	kh, kw, sh, sw := g.kernel[0], g.kernel[1], g.stride[0], g.stride[1]
	dh, dw := g.dilation[0], g.dilation[1]
	if g.padBegin[0] != 0 || g.padBegin[1] != 0 || (oh-1)*sh+(kh-1)*dh >= h || (ow-1)*sw+(kw-1)*dw >= w {
		return nil
	}
	ip := &insidePool{g: *g, tk: defaultTaps(), planes: planes, plane: h * w}
	for i := range kh {
		for j := range kw {
			ip.offs = append(ip.offs, i*dh*w+j*dw)
		}
	}
	ip.chunk = max(1, min(planes, 8192/ip.plane))
	ip.tasks = (planes + ip.chunk - 1) / ip.chunk
	if kh == 2 && kw == 2 && sh == 2 && sw == 2 && dh == 1 && dw == 1 && h == 2*oh && w == 2*ow {
		ip.pairs = true
	}
	return ip
}

// maxPoolInside plans and runs an insidePool, reporting false, doing
// nothing, when it does not apply.
func maxPoolInside(rc *runCtx, g *geometry, planes int, x, y []float32) bool {
	ip := planMaxPoolInside(g, planes)
	if ip == nil {
		return false
	}
	ip.pool(rc, x, y)
	return true
}

// pool computes y from x.
func (ip *insidePool) pool(rc *runCtx, x, y []float32) {
	b := poolBodies.get()
	defer poolBodies.put(b)
	b.inside, b.x, b.y = ip, x, y
	parallelRange(rc.threads, ip.tasks, max(1, elemGrain/(ip.chunk*ip.plane*len(ip.offs))), b)
}

func (ip *insidePool) do(x, y []float32, lo, hi int) {
	if ip.pairs {
		ip.doPairs(x, y, lo, hi)
		return
	}
	g, tk := &ip.g, ip.tk
	w, oh, ow := g.in[1], g.out[0], g.out[1]
	sh, sw := g.stride[0], g.stride[1]
	reach := ip.offs[len(ip.offs)-1]
	run := roundUp(ip.chunk*ip.plane, tk.Width)
	buf := getScratch(2*run + reach)
	defer putScratch(buf)
	in, full := (*buf)[:run+reach], (*buf)[run+reach:]
	for t := lo; t < hi; t++ {
		c0, c1 := t*ip.chunk, min(ip.planes, (t+1)*ip.chunk)
		copy(in, x[c0*ip.plane:c1*ip.plane])
		tk.Max(full[:roundUp((c1-c0)*ip.plane, tk.Width)], in, ip.offs)
		for c := c0; c < c1; c++ {
			src := full[(c-c0)*ip.plane:]
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
}

// doPairs is do for 2×2 windows of stride 2 tiling the planes: with the
// tap kernel's MaxPool2x2 when it takes the rows (AVX-512), else the even
// input rows of chunk planes are split into their even and odd columns,
// and so are the odd rows (four buffers of n values, one per tap, read
// with a row stride of two rows), after which the tap kernel takes the
// maximum of the four straight into the output. Only the outputs are
// computed, and nothing is copied out.
func (ip *insidePool) doPairs(x, y []float32, lo, hi int) {
	g, tk := &ip.g, ip.tk
	w, oh, ow := g.in[1], g.out[0], g.out[1]
	if tk.HasMaxPool2x2(w) {
		// The planes' row pairs in one pass, no buffers.
		c0, c1 := lo*ip.chunk, min(ip.planes, hi*ip.chunk)
		tk.MaxPool2x2(y[c0*oh*ow:c1*oh*ow], x[c0*ip.plane:c1*ip.plane], w)
		return
	}
	buf := getScratch(4 * ip.chunk * oh * ow)
	defer putScratch(buf)
	for t := lo; t < hi; t++ {
		c0, c1 := t*ip.chunk, min(ip.planes, (t+1)*ip.chunk)
		rows, n := (c1-c0)*oh, (c1-c0)*oh*ow
		taps := (*buf)[:4*n]
		src := x[c0*ip.plane : c1*ip.plane]
		tk.Deinterleave2D(taps, ow, taps[n:], ow, src, 2*w, rows, ow)
		tk.Deinterleave2D(taps[2*n:], ow, taps[3*n:], ow, src[w:], 2*w, rows, ow)
		offs := [4]int{0, n, 2 * n, 3 * n}
		tk.Max(y[c0*oh*ow:c1*oh*ow], taps, offs[:])
	}
}

// poolBody is the state of a fast pooling region: one of the plans, with
// the input and output.
type poolBody struct {
	taps   *tapsPool
	inside *insidePool
	x, y   []float32
}

var poolBodies freeList[poolBody]

func (b *poolBody) do(lo, hi int) {
	if b.taps != nil {
		b.taps.do(b.x, b.y, lo, hi)
		return
	}
	b.inside.do(b.x, b.y, lo, hi)
}
