package native

// convDepthwise computes a convolution whose groups each have one input
// channel (C == group): every output plane is a weighted sum of shifted
// views of its input plane. The planes of the images of a channel are laid
// out together in the phase planes of a tapLayout (zero padding), and the
// tap kernel computes each output channel's run over them in one call,
// with the bias and a Relu or Clip; the outputs are then copied out of the
// run, adding a residual and applying other activations.
func convDepthwise(rc *runCtx, p *convProblem, cp *convPlan) {
	l := cp.l
	if l == nil {
		convDepthwiseDirect(rc, p)
		return
	}
	chunks := (p.batch + cp.chunk - 1) / cp.chunk
	b := depthwiseBodies.get()
	defer depthwiseBodies.put(b)
	b.p, b.cp, b.chunks = *p, cp, chunks
	parallelRange(rc.threads, p.c*chunks, max(1, elemGrain/(cp.chunk*l.plane()*l.kh*l.kw*(p.m/p.group))), b)
}

// depthwiseBody is the state of convDepthwise's region: the items are the
// chunks of images of each input channel.
type depthwiseBody struct {
	p      convProblem
	cp     *convPlan
	chunks int
}

var depthwiseBodies freeList[depthwiseBody]

func (b *depthwiseBody) do(t0, t1 int) {
	p, cp, l := &b.p, b.cp, b.cp.l
	tk := cp.taps
	taps := l.kh * l.kw
	mg := p.m / p.group
	plane, inPlane, outPlane := l.plane(), l.h*l.w, l.oh*l.ow
	chunk, phaseStride, offs := cp.chunk, cp.phaseStride, cp.tapOffs
	run := roundUp(chunk*plane, tk.Width)
	clamp := p.act != nil && p.act.clamp && p.residual == nil
	var lo, hi float32
	if clamp {
		lo, hi = p.act.lo, p.act.hi
	}
	buf := getScratch(l.phases*phaseStride + run + l.w + 1)
	defer putScratch(buf)
	ph := (*buf)[:l.phases*phaseStride]
	tmp := (*buf)[len(ph) : len(ph)+run]
	scratch := (*buf)[len(ph)+run:]
	l.prefill(ph, chunk, phaseStride, 0)
	for t := t0; t < t1; t++ {
		ic, n0 := t/b.chunks, t%b.chunks*chunk
		n1 := min(p.batch, n0+chunk)
		for n := n0; n < n1; n++ {
			x := p.x[(n*p.c+ic)*inPlane : (n*p.c+ic+1)*inPlane]
			l.build(ph[(n-n0)*plane:], x, phaseStride, tk, scratch)
		}
		for r := range mg {
			oc := ic*mg + r
			var bias float32
			if p.bias != nil {
				bias = p.bias[oc]
			}
			n := roundUp((n1-n0)*plane, tk.Width)
			tk.Sum(tmp[:n], ph, offs, p.w[oc*taps:(oc+1)*taps], bias, clamp, lo, hi)
			for img := n0; img < n1; img++ {
				y := p.y[(img*p.m+oc)*outPlane : (img*p.m+oc+1)*outPlane]
				tk.Copy2D(y, l.ow, tmp[(img-n0)*plane:], l.wq, l.oh, l.ow)
				if p.residual != nil {
					for i, v := range p.residual[(img*p.m+oc)*outPlane : (img*p.m+oc+1)*outPlane] {
						y[i] += v
					}
				}
				if !clamp {
					p.act.apply(y)
				}
			}
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
