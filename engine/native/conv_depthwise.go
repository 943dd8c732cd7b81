package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// convDepthwise computes a convolution whose groups each have one input
// channel (C == group): every output plane is a weighted sum of shifted
// views of its input plane. The work items are blocks of channels of one
// image, in memory order (so that the input and output are read and
// written as they lie, and two threads take contiguous halves): a block's
// planes are laid out together in the phase planes of a tapLayout (zero
// padding), and the plane kernel (simd.TapKernel.SumPlanes) computes all
// their output rows in one call, straight into the output, with the bias
// and a Relu or Clip; a residual and other activations follow on the
// block's output, still in cache.
func convDepthwise(rc *runCtx, p *convProblem, cp *convPlan) {
	if k := directDepthwise(p, cp); k != nil {
		convDepthwiseDirect3(rc, p, cp, k)
		return
	}
	convDepthwiseTaps(rc, p, cp)
}

// convDepthwiseTaps is convDepthwise through the tap layout.
func convDepthwiseTaps(rc *runCtx, p *convProblem, cp *convPlan) {
	l := cp.l
	if l == nil {
		convDepthwiseDirect(rc, p)
		return
	}
	blocks := (p.c + cp.chunk - 1) / cp.chunk
	b := depthwiseBodies.get()
	defer depthwiseBodies.put(b)
	b.p, b.cp, b.blocks = *p, cp, blocks
	work := cp.chunk * l.oh * l.ow * l.kh * l.kw * (p.m / p.group)
	parallelRange(rc.threads, p.batch*blocks, max(1, elemGrain/work), b)
}

// depthwiseChannels is how many channels of an image convDepthwise takes
// at once: their phase planes (plane values each) stay in the L1 or L2
// cache while the taps read them, and an image has blocks enough for
// threads threads when the batch is small.
func depthwiseChannels(c, batch, plane, threads int) int {
	cb := max(1, min(c, 8192/max(1, plane)))
	if batch < 2*threads {
		// Four blocks per thread, to balance the images between them.
		per := (4*threads + batch - 1) / batch
		cb = max(1, min(cb, (c+per-1)/per))
	}
	return cb
}

// depthwiseWide reports whether rows of ow outputs are better computed
// as one run per plane and copied out than in place: the plane kernel
// passes over the taps a few times per row (whole blocks of vectors, then
// the rest), which costs more than the copy once a row is more than two
// vectors wide.
func depthwiseWide(ow int, tk *simd.TapKernel) bool { return ow > 2*tk.Width }

// depthwiseBody is the state of convDepthwise's region: the items are the
// blocks of chunk channels of each image, image-major.
type depthwiseBody struct {
	p      convProblem
	cp     *convPlan
	blocks int
}

var depthwiseBodies freeList[depthwiseBody]

func (b *depthwiseBody) do(t0, t1 int) {
	p, cp, l := &b.p, b.cp, b.cp.l
	tk := cp.taps
	taps := l.kh * l.kw
	mg := p.m / p.group
	plane, inPlane, outPlane := l.plane(), l.h*l.w, l.oh*l.ow
	phaseStride := cp.phaseStride
	clamp := p.act != nil && p.act.clamp && p.residual == nil
	var lo, hi float32
	if clamp {
		lo, hi = p.act.lo, p.act.hi
	}
	run := roundUp(l.run(), tk.Width)
	buf := getScratch(l.phases*phaseStride + run + l.w + 1)
	defer putScratch(buf)
	ph := (*buf)[:l.phases*phaseStride]
	tmp := (*buf)[len(ph) : len(ph)+run]
	scratch := (*buf)[len(ph)+run:]
	l.prefill(ph, cp.chunk, phaseStride, 0)
	g := simd.Planes{Rows: l.oh, Cols: l.ow, DstPlane: mg * outPlane, DstRow: l.ow, SrcPlane: plane, SrcRow: l.wq}
	for t := t0; t < t1; t++ {
		n, ic0 := t/b.blocks, t%b.blocks*cp.chunk
		ic1 := min(p.c, ic0+cp.chunk)
		for ic := ic0; ic < ic1; ic++ {
			x := p.x[(n*p.c+ic)*inPlane : (n*p.c+ic+1)*inPlane]
			l.build(ph[(ic-ic0)*plane:], x, phaseStride, tk, scratch)
		}
		g.Planes = ic1 - ic0
		if mg > 1 {
			// Output channel ic·mg+r reads input channel ic: a plane at a
			// time, since the weights of a block are not contiguous.
			g.Planes = 1
		}
		for ic := ic0; ic < ic1; ic += g.Planes {
			for r := range mg {
				oc := ic*mg + r
				var bias []float32
				if p.bias != nil {
					bias = p.bias[oc : oc+g.Planes]
				}
				y, src, w := p.y[(n*p.m+oc)*outPlane:], ph[(ic-ic0)*plane:], p.w[oc*taps:(oc+g.Planes)*taps]
				if !cp.wide {
					tk.SumPlanes(y, src, &g, cp.tapOffs, w, bias, clamp, lo, hi)
					continue
				}
				// Wide rows: the run kernel over the plane's rows taken as
				// one run (garbage columns included), then copied out.
				for j := range g.Planes {
					var b float32
					if bias != nil {
						b = bias[j]
					}
					tk.Sum(tmp, src[j*plane:], cp.tapOffs, w[j*taps:(j+1)*taps], b, clamp, lo, hi)
					tk.Copy2D(y[j*mg*outPlane:], l.ow, tmp, l.wq, l.oh, l.ow)
				}
			}
		}
		y := p.y[(n*p.m+ic0*mg)*outPlane : (n*p.m+ic1*mg)*outPlane]
		if p.residual != nil {
			for i, v := range p.residual[(n*p.m+ic0*mg)*outPlane : (n*p.m+ic1*mg)*outPlane] {
				y[i] += v
			}
		}
		if !clamp {
			p.act.apply(y)
		}
	}
}

// convDepthwiseDirect is the depthwise convolution without the tap layout
// (negative pads): row by row, axpy per tap.
func convDepthwiseDirect(rc *runCtx, pp *convProblem) {
	p := *pp // a copy: the closure escapes, p should not
	g := &p.geo
	kh, kw := g.kernel[0], g.kernel[1]
	h, w := g.in[0], g.in[1]
	oh, ow := g.out[0], g.out[1]
	sh, sw := g.stride[0], g.stride[1]
	dh, dw := g.dilation[0], g.dilation[1]
	pt, pl := g.padBegin[0], g.padBegin[1]
	mg := p.m / p.group
	planes := p.batch * p.m
	parallelFor(rc.threads, planes, max(1, elemGrain/(oh*ow*kh*kw)), func(lo, hi int) {
		for t := lo; t < hi; t++ {
			n, oc := t/p.m, t%p.m
			ic := oc / mg
			x := p.x[(n*p.c+ic)*h*w : (n*p.c+ic+1)*h*w]
			y := p.y[t*oh*ow : (t+1)*oh*ow]
			wt := p.w[oc*kh*kw : (oc+1)*kh*kw]
			var b float32
			if p.bias != nil {
				b = p.bias[oc]
			}
			fill(y, b)
			for j := range kw {
				clo, chi := validRange(ow, w, sw, pl-j*dw)
				if clo >= chi {
					continue
				}
				for oy := range oh {
					row := y[oy*ow : (oy+1)*ow]
					for i := range kh {
						iy := oy*sh - pt + i*dh
						if iy < 0 || iy >= h {
							continue
						}
						wv := wt[i*kw+j]
						src := x[iy*w : (iy+1)*w]
						off := clo*sw - pl + j*dw
						if sw == 1 {
							axpy(row[clo:chi], wv, src[off:off+chi-clo])
							continue
						}
						for o := clo; o < chi; o++ {
							row[o] += wv * src[off]
							off += sw
						}
					}
				}
			}
			if p.residual != nil {
				for i, v := range p.residual[t*oh*ow : (t+1)*oh*ow] {
					y[i] += v
				}
			}
			p.act.apply(y)
		}
	})
}
