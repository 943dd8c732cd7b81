package native

// convDepthwise computes a convolution whose groups each have one input
// channel (C == group), directly: every output plane is a weighted sum of
// shifted copies of its input plane.
func convDepthwise(rc *runCtx, p *convProblem) {
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
		}
	})
}
