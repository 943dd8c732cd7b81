package native

// convProblem is one Conv evaluation with its geometry resolved to 2-D.
type convProblem struct {
	geo                geometry
	batch, c, m, group int
	x, w, bias, y      []float32
}

// convGemm computes a grouped convolution as, per image and group, the
// product of the group's weights (M/group × C/group·kh·kw) with the im2col
// matrix of its input channels (C/group·kh·kw × OH·OW).
func convGemm(rc *runCtx, p *convProblem, packed []gemmOperand) {
	g := &p.geo
	cg, mg := p.c/p.group, p.m/p.group
	kh, kw := g.kernel[0], g.kernel[1]
	kg := cg * kh * kw
	inPlane, outPlane := g.in[0]*g.in[1], g.out[0]*g.out[1]
	// A 1×1 kernel with unit strides and no padding reads the input as is.
	direct := kh == 1 && kw == 1 && g.stride[0] == 1 && g.stride[1] == 1 &&
		g.padBegin[0] == 0 && g.padBegin[1] == 0 && g.padEnd[0] == 0 && g.padEnd[1] == 0
	tasks := p.batch * p.group
	flops := 2 * mg * kg * outPlane
	// Small products run one per goroutine; big ones one at a time, each
	// spread over all threads.
	inner := rc.threads
	if tasks >= rc.threads && flops < 1<<23 {
		inner = 1
	}
	// The im2col matrix is built for bands of output rows small enough to
	// stay in cache and bounded in size, whatever the image size.
	band := max(1, min(g.out[0], im2colLimit/(kg*g.out[1])))
	parallelFor(rc.threads/inner, tasks, max(1, gemmMinFlopsPerThread/flops), func(lo, hi int) {
		var col *[]float32
		if !direct {
			col = getScratch(kg * band * g.out[1])
			defer putScratch(col)
		}
		for t := lo; t < hi; t++ {
			n, grp := t/p.group, t%p.group
			x := p.x[(n*p.c+grp*cg)*inPlane : (n*p.c+(grp+1)*cg)*inPlane]
			y := p.y[(n*p.m+grp*mg)*outPlane : (n*p.m+(grp+1)*mg)*outPlane]
			beta := float32(0)
			if p.bias != nil {
				beta = 1
				for j := range mg {
					fill(y[j*outPlane:(j+1)*outPlane], p.bias[grp*mg+j])
				}
			}
			am := rowMajor(p.w[grp*mg*kg:], kg, false)
			if packed != nil {
				am = packed[grp]
			}
			if direct {
				sgemm(mg, outPlane, kg, 1, am, rowMajor(x, outPlane, false), beta, y, outPlane, inner)
				continue
			}
			for y0 := 0; y0 < g.out[0]; y0 += band {
				y1 := min(g.out[0], y0+band)
				cols := (y1 - y0) * g.out[1]
				im2col(*col, x, cg, g, y0, y1, inner)
				sgemm(mg, cols, kg, 1, am, rowMajor(*col, cols, false), beta, y[y0*g.out[1]:], outPlane, inner)
			}
		}
	})
}

// im2colLimit bounds the elements of one im2col band.
const im2colLimit = 1 << 21

// im2col writes the patches of x (c channels of the geometry's input) for
// output rows [y0, y1) as a (c·kh·kw) × ((y1-y0)·ow) matrix, zero where a
// patch covers padding.
func im2col(col, x []float32, c int, g *geometry, y0, y1, threads int) {
	kh, kw := g.kernel[0], g.kernel[1]
	h, w := g.in[0], g.in[1]
	oh, ow := y1-y0, g.out[1]
	sh, sw := g.stride[0], g.stride[1]
	dh, dw := g.dilation[0], g.dilation[1]
	pt, pl := g.padBegin[0], g.padBegin[1]
	rows := c * kh * kw
	parallelFor(threads, rows, max(1, elemGrain/(oh*ow)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			ch, i, j := r/(kh*kw), r/kw%kh, r%kw
			plane := x[ch*h*w : (ch+1)*h*w]
			dst := col[r*oh*ow : (r+1)*oh*ow]
			// Output columns whose input column is inside the image.
			lo, hi := validRange(ow, w, sw, pl-j*dw)
			for y := range oh {
				row := dst[y*ow : (y+1)*ow]
				iy := (y0+y)*sh - pt + i*dh
				if iy < 0 || iy >= h || lo >= hi {
					clear(row)
					continue
				}
				src := plane[iy*w : (iy+1)*w]
				clear(row[:lo])
				clear(row[hi:])
				off := lo*sw - pl + j*dw
				if sw == 1 {
					copy(row[lo:hi], src[off:off+hi-lo])
					continue
				}
				for o := lo; o < hi; o++ {
					row[o] = src[off]
					off += sw
				}
			}
		}
	})
}

// validRange returns the output positions [lo, hi) among n whose input
// position o·stride - pad lies in [0, size).
func validRange(n, size, stride, pad int) (lo, hi int) {
	// o·stride - pad >= 0  <=>  o >= ceil(pad / stride)
	if pad > 0 {
		lo = (pad + stride - 1) / stride
	}
	// o·stride - pad <= size-1  <=>  o <= floor((size-1+pad) / stride)
	if last := size - 1 + pad; last < 0 {
		hi = 0
	} else {
		hi = last/stride + 1
	}
	lo, hi = min(lo, n), min(hi, n)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}
