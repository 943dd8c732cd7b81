package native

// convProblem is one Conv evaluation with its geometry resolved to 2-D.
type convProblem struct {
	geo                geometry
	batch, c, m, group int
	x, w, bias, y      []float32
	// residual, when not nil, is added to the output (it has its shape)
	// before act, which is applied last (nil for none).
	residual []float32
	act      *fusedAct
	// transW, when not nil, caches the weights packed for the transposed
	// pointwise path across the Conv's plans (conv_pointwise_trans.go).
	transW *transWeights
	// winoW, when not nil, caches the Conv's filters transformed for the
	// Winograd path across its plans (conv_winograd.go).
	winoW *winoWeights
}

// im2colTarget bounds the elements of the packed im2col matrix of one band
// of output rows, so that it stays in the L2 cache while the kernel
// streams the weights past it.
const im2colTarget = 1 << 18

// convGemm computes a grouped convolution as, per group and band of output
// rows, the product of the group's weights (M/group × C/group·kh·kw) with
// the im2col matrix of the band, which is written directly in the kernel's
// packed layout. Output rows are numbered across the batch, so that a band
// of a small image spans several images (the product then goes through a
// buffer and is scattered to each image). Bias, residual and fusedAct are
// applied as the kernel stores its tiles.
func convGemm(rc *runCtx, p *convProblem, packed []gemmOperand) {
	g := &p.geo
	cg, mg := p.c/p.group, p.m/p.group
	kg := cg * g.kernel[0] * g.kernel[1]
	oh, ow := g.out[0], g.out[1]
	total := p.batch * oh
	bandRows := max(1, min(total, im2colTarget/(kg*ow)))
	bands := (total + bandRows - 1) / bandRows
	// Enough bands for every thread, when there are rows enough.
	bands = max(bands, min(rc.threads, total, parallelTasks(2*mg*kg*total*ow*p.group)))
	bandRows = (total + bands - 1) / bands
	bands = (total + bandRows - 1) / bandRows
	tasks := bands * p.group
	inner := 1
	if tasks < rc.threads {
		inner = rc.threads
	}
	b := im2colBodies.get()
	defer im2colBodies.put(b)
	b.p, b.packed, b.bandRows, b.inner = *p, packed, bandRows, inner
	parallelRange(rc.threads/inner, tasks, 1, b)
}

// im2colBody is the state of convGemm's region: the items are the bands
// of bandRows output rows of each group, whose products run on inner
// threads.
type im2colBody struct {
	p               convProblem
	packed          []gemmOperand
	bandRows, inner int
}

var im2colBodies freeList[im2colBody]

func (b *im2colBody) do(lo, hi int) {
	p, impl := &b.p, defaultGemm()
	g := &p.geo
	cg, mg := p.c/p.group, p.m/p.group
	kg := cg * g.kernel[0] * g.kernel[1]
	oh, ow := g.out[0], g.out[1]
	total := p.batch * oh
	var bbuf, cbuf *[]float32
	defer func() {
		if bbuf != nil {
			putScratch(bbuf)
		}
		if cbuf != nil {
			putScratch(cbuf)
		}
	}()
	for t := lo; t < hi; t++ {
		grp, band := t%p.group, t/p.group
		t0 := band * b.bandRows
		t1 := min(total, t0+b.bandRows)
		cols := (t1 - t0) * ow
		if bbuf == nil {
			bbuf = getScratch(kg * roundUp(b.bandRows*ow, impl.nr))
		}
		impl.im2colPacked(*bbuf, p, grp, t0, t1)
		am := rowMajor(p.w[grp*mg*kg:], kg, false)
		if b.packed != nil {
			am = b.packed[grp]
		}
		ep := gemmEpilogue{}
		if p.bias != nil {
			ep.rowBias = p.bias[grp*mg : (grp+1)*mg]
		}
		p.act.setEpilogue(&ep)
		bm := gemmOperand{packed: *bbuf, impl: impl}
		n0, n1 := t0/oh, (t1-1)/oh
		if n0 == n1 {
			// One image: the product lands in place.
			off := (n0*p.m+grp*mg)*oh*ow + (t0-n0*oh)*ow
			beta := float32(0)
			if p.residual != nil {
				copyRows(p.y[off:], oh*ow, p.residual[off:], oh*ow, mg, cols)
				beta = 1
			}
			sgemmEp(impl, mg, cols, kg, 1, am, bm, beta, p.y[off:], oh*ow, b.inner, &ep)
			continue
		}
		if cbuf == nil {
			cbuf = getScratch(mg * b.bandRows * ow)
		}
		beta := float32(0)
		if p.residual != nil {
			p.bandImages(t0, t1, grp, func(off, col, n int) {
				copyRows((*cbuf)[col:], cols, p.residual[off:], oh*ow, mg, n)
			})
			beta = 1
		}
		sgemmEp(impl, mg, cols, kg, 1, am, bm, beta, *cbuf, cols, b.inner, &ep)
		p.bandImages(t0, t1, grp, func(off, col, n int) {
			copyRows(p.y[off:], oh*ow, (*cbuf)[col:], cols, mg, n)
		})
	}
}

// groupEpilogue is the epilogue of group grp's product: its bias as row
// bias and the fused activation.
func (p *convProblem) groupEpilogue(grp int) gemmEpilogue {
	ep := gemmEpilogue{}
	if p.bias != nil {
		mg := p.m / p.group
		ep.rowBias = p.bias[grp*mg : (grp+1)*mg]
	}
	p.act.setEpilogue(&ep)
	return ep
}

// bandImages calls f for each image the band of global output rows
// [t0, t1) covers, with the offset in y (or residual) of the image's
// first output of the band in group grp, the band's column where it
// starts and its number of columns.
func (p *convProblem) bandImages(t0, t1, grp int, f func(off, col, n int)) {
	oh, ow := p.geo.out[0], p.geo.out[1]
	mg := p.m / p.group
	for t := t0; t < t1; {
		n := t / oh
		end := min(t1, (n+1)*oh)
		f((n*p.m+grp*mg)*oh*ow+(t-n*oh)*ow, (t-t0)*ow, (end-t)*ow)
		t = end
	}
}

// minTaskFlops is the least work worth a parallel task of a convolution,
// about 30 µs at 140 GFLOP/s. Handing a chunk to a polling helper costs
// 1-2 µs, but the helper then reads the data the caller wrote, at the
// cost elemGrain describes: at 1 Mflop, a quarter of this, the
// convolutions of a DB text detector on a 128×128 image (1.8-4.7 Mflop
// each) were split, and ran slower on two threads than on one.
const minTaskFlops = 4 << 20

// parallelTasks is how many parallel tasks flops of work are worth.
func parallelTasks(flops int) int { return max(1, flops/minTaskFlops) }

// copyRows copies rows×n elements between matrices with leading dimensions
// ldd and lds.
func copyRows(dst []float32, ldd int, src []float32, lds, rows, n int) {
	defaultTaps().Copy2D(dst, ldd, src, lds, rows, n)
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
