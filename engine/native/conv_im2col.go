package native

// im2colPacked writes the im2col matrix of group grp for the global output
// rows [t0, t1) (row t is output row t%oh of image t/oh) into dst, packed
// as a whole B operand of impl (see sgemm_pack.go): row (ch, i, j) of the
// matrix, ch in the group's channels and (i, j) in the kernel window, holds
// for every output position of the band the input value under that kernel
// tap, or 0 over padding.
func (impl *gemmImpl) im2colPacked(dst []float32, p *convProblem, grp, t0, t1 int) {
	g := &p.geo
	kh, kw := g.kernel[0], g.kernel[1]
	h, w := g.in[0], g.in[1]
	oh, ow := g.out[0], g.out[1]
	sh, sw := g.stride[0], g.stride[1]
	dh, dw := g.dilation[0], g.dilation[1]
	pt, pl := g.padBegin[0], g.padBegin[1]
	cg := p.c / p.group
	k := cg * kh * kw
	cols := (t1 - t0) * ow
	nr := impl.nr
	nPad := roundUp(cols, nr)
	// A 1×1 kernel with unit strides and no padding reads whole planes.
	flat := kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && h == oh && w == ow
	var gather []float32
	if sw != 1 {
		gs := getScratch(ow)
		defer putScratch(gs)
		gather = *gs
	}
	for pc := 0; pc < k; pc += impl.kc {
		kcb := min(impl.kc, k-pc)
		pb := packedBlock{data: dst[pc*nPad : pc*nPad+kcb*nPad], nr: nr, kcb: kcb}
		for q := pc; q < pc+kcb; q++ {
			pb.row = q - pc
			ch, i, j := q/(kh*kw), q/kw%kh, q%kw
			planeOf := func(n int) []float32 {
				o := (n*p.c + grp*cg + ch) * h * w
				return p.x[o : o+h*w]
			}
			if flat {
				for t := t0; t < t1; {
					n := t / oh
					end := min(t1, (n+1)*oh)
					pb.put((t-t0)*ow, planeOf(n)[(t-n*oh)*ow:(end-n*oh)*ow])
					t = end
				}
				pb.zero(cols, nPad)
				continue
			}
			lo, hi := validRange(ow, w, sw, pl-j*dw)
			off := lo*sw - pl + j*dw
			for t := t0; t < t1; t++ {
				n, oy := t/oh, t%oh
				col := (t - t0) * ow
				iy := oy*sh - pt + i*dh
				if iy < 0 || iy >= h || lo >= hi {
					pb.zero(col, col+ow)
					continue
				}
				src := planeOf(n)[iy*w : (iy+1)*w]
				pb.zero(col, col+lo)
				if sw == 1 {
					pb.put(col+lo, src[off:off+hi-lo])
				} else {
					run := gather[:hi-lo]
					for o := range run {
						run[o] = src[off+o*sw]
					}
					pb.put(col+lo, run)
				}
				pb.zero(col+hi, col+ow)
			}
			pb.zero(cols, nPad)
		}
	}
}

// packedBlock addresses one row of a kcb-deep block of a packed B operand:
// column c of the row is at (c/nr)*nr*kcb + row*nr + c%nr.
type packedBlock struct {
	data    []float32
	nr, kcb int
	row     int
}

// put writes src at columns [col, col+len(src)) of the row.
func (b *packedBlock) put(col int, src []float32) {
	for len(src) > 0 {
		o := col % b.nr
		n := min(len(src), b.nr-o)
		at := (col-o)*b.kcb + b.row*b.nr + o
		copy(b.data[at:at+n], src[:n])
		src = src[n:]
		col += n
	}
}

// zero clears columns [c0, c1) of the row.
func (b *packedBlock) zero(c0, c1 int) {
	for c0 < c1 {
		o := c0 % b.nr
		n := min(c1-c0, b.nr-o)
		at := (c0-o)*b.kcb + b.row*b.nr + o
		clear(b.data[at : at+n])
		c0 += n
	}
}
