package native

// ConvTranspose over one or two spatial dimensions as a matrix product and
// a col2im: per image and group, the columns C = Wᵀ·X ([mg·taps, H·W],
// the weights [cg, mg·taps] transposed times the input read in place)
// hold every tap's contribution of every input position, and col2im adds
// each to the output position it lands on, in float32. With kernel =
// stride and no padding, each output position receives exactly one
// contribution: col2im is a scatter.

// plane2D is the geometry of a 1-D or 2-D transposed convolution as 2-D
// (a 1-D one has a height of one).
type plane2D struct {
	h, w, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw int
}

// as2D returns g as a plane2D, or false for three or more dimensions.
func as2D(g *geometry) (plane2D, bool) {
	switch len(g.in) {
	case 1:
		return plane2D{h: 1, w: g.in[0], oh: 1, ow: g.out[0], kh: 1, kw: g.kernel[0], sh: 1, sw: g.stride[0],
			dh: 1, dw: g.dilation[0], pw: g.padBegin[0]}, true
	case 2:
		return plane2D{h: g.in[0], w: g.in[1], oh: g.out[0], ow: g.out[1], kh: g.kernel[0], kw: g.kernel[1],
			sh: g.stride[0], sw: g.stride[1], dh: g.dilation[0], dw: g.dilation[1], ph: g.padBegin[0], pw: g.padBegin[1]}, true
	}
	return plane2D{}, false
}

// convTransposeGemm computes y (batch × m planes) from x (batch × c
// planes) and weights w ([c, m/group, kh, kw]).
func convTransposeGemm(rc *runCtx, p *plane2D, batch, c, m, group int, x, w, bias, y []float32) {
	cg, mg := c/group, m/group
	taps, hw, ohw := p.kh*p.kw, p.h*p.w, p.oh*p.ow
	rows := mg * taps
	col := getScratch(rows * hw)
	defer putScratch(col)
	for n := range batch {
		for grp := range group {
			yg := y[(n*m+grp*mg)*ohw : (n*m+(grp+1)*mg)*ohw]
			a := rowMajor(w[grp*cg*rows:(grp+1)*cg*rows], rows, true)
			b := rowMajor(x[(n*c+grp*cg)*hw:(n*c+(grp+1)*cg)*hw], hw, false)
			sgemm(rows, hw, cg, 1, a, b, 0, *col, hw, rc.threads)
			var bg []float32
			if bias != nil {
				bg = bias[grp*mg : (grp+1)*mg]
			}
			cb := col2imBodies.get()
			*cb = col2imBody{p: p, y: yg, col: *col, bias: bg, taps: taps, hw: hw, ohw: ohw}
			parallelRange(rc.threads, mg, max(1, col2imGrain/max(1, taps*hw)), cb)
			col2imBodies.put(cb)
		}
	}
}

// col2imGrain is the least contributions a parallel chunk of col2im
// adds, about 30 µs of its scalar loop (see elemGrain for why so much):
// the 8 channels of a DB text detector's head (4 taps of 32×32 each) run
// on one thread.
const col2imGrain = 1 << 15

// col2imBody is the parallel region of convTransposeGemm's col2im: the
// items are output channels.
type col2imBody struct {
	p            *plane2D
	y, col, bias []float32
	taps, hw     int
	ohw          int
}

var col2imBodies freeList[col2imBody]

func (b *col2imBody) do(lo, hi int) {
	for mo := lo; mo < hi; mo++ {
		yp := b.y[mo*b.ohw : (mo+1)*b.ohw]
		var b0 float32
		if b.bias != nil {
			b0 = b.bias[mo]
		}
		fill(yp, b0)
		b.p.col2im(yp, b.col[mo*b.taps*b.hw:(mo+1)*b.taps*b.hw])
	}
}

// col2im adds the columns of one output channel (taps rows of h·w) into
// its plane y.
func (p *plane2D) col2im(y, col []float32) {
	hw := p.h * p.w
	for kh := range p.kh {
		for kw := range p.kw {
			src := col[(kh*p.kw+kw)*hw:]
			// Input columns whose output column is in range.
			off := kw*p.dw - p.pw
			iw0, iw1 := validRange(p.w, p.ow, p.sw, -off)
			if iw0 >= iw1 {
				continue
			}
			for ih := range p.h {
				oh := ih*p.sh - p.ph + kh*p.dh
				if oh < 0 || oh >= p.oh {
					continue
				}
				row := y[oh*p.ow:]
				s := src[ih*p.w : ih*p.w+p.w]
				if p.sw == 1 {
					d := row[iw0+off : iw1+off]
					s := s[iw0:iw1]
					for i := range d {
						d[i] += s[i]
					}
					continue
				}
				for iw := iw0; iw < iw1; iw++ {
					row[iw*p.sw+off] += s[iw]
				}
			}
		}
	}
}
