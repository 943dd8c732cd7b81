package native

// Implicit-GEMM convolution: the input is laid out once in the phase
// planes of a tapLayout (zero padding), after which row (ch, i, j) of the
// im2col matrix is the planes of channel ch read at a constant offset, so
// the GEMM kernel reads B in place through a table of offsets instead of a
// packed im2col copy. The planes of consecutive images follow each other
// (per channel and phase), so a band of output rows may span images. The
// price is that each output run also computes the garbage columns and rows
// of the padded layout; useImplicitConv weighs that against im2col's
// packing.

// planesTarget bounds the floats of the planes built at once (the batch is
// processed in chunks of images): small enough for them to stay in the L2
// cache between their building and their use (1 MB: measured best on
// ResNet-18 and MobileNetV2 at batch 32, against 512 KB and 2 MB).
const planesTarget = 1 << 18

// im2colPackCost is what packing one element of the im2col matrix costs,
// in multiply-adds of the kernel, fitted on BenchmarkConv (the per-row
// overhead of small images makes it larger than the copy alone).
const im2colPackCost = 256

// useImplicitConv reports whether the implicit GEMM is expected to be
// faster than the packed im2col for this convolution.
func useImplicitConv(p *convProblem, l *tapLayout) bool {
	if l == nil {
		return false
	}
	mg, kg := p.m/p.group, p.c/p.group*l.kh*l.kw
	mPad := roundUp(mg, defaultGemm().mr)
	implicit := float64(mPad) * float64(kg) * float64(l.hq*l.wq)
	im2col := float64(mPad+im2colPackCost) * float64(kg) * float64(l.oh*l.ow)
	return implicit <= im2col
}

// convImplicit computes the convolution p with the implicit GEMM planned
// in cp. packed holds the group's weights packed for cp's kernel, or is
// nil.
func convImplicit(rc *runCtx, p *convProblem, packed []gemmOperand, cp *convPlan) {
	if cp.images && rc.threads > 1 {
		convImplicitImages(rc, p, packed, cp)
		return
	}
	impl, l := cp.gemm, cp.l
	cg, mg := p.c/p.group, p.m/p.group
	kg := cg * l.kh * l.kw
	plane := l.plane()
	b := implicitBodies.get()
	defer implicitBodies.put(b)
	b.p, b.cp, b.weights = *p, cp, packedWeights(impl, p, packed, kg)
	// Output columns per band: its product stays in L2 with the weights.
	bandCols := max(4*impl.nr, (1<<17)/max(1, mg))
	if b.ownPlanes(rc.threads, bandCols, mg, kg) {
		b.stage, b.parts = implicitOwn, rc.threads
		parallelRange(rc.threads, rc.threads, 1, b)
		return
	}
	planes := getScratch(p.c * cp.chStride)
	defer putScratch(planes)
	b.planes = *planes
	b.stage = implicitPrefill
	parallelRange(rc.threads, p.c, max(1, elemGrain/prefillFloats(cp)), b)
	for n0 := 0; n0 < p.batch; n0 += cp.chunk {
		imgs := min(p.batch, n0+cp.chunk) - n0
		b.n0, b.imgs = n0, imgs
		b.stage = implicitBuild
		parallelRange(rc.threads, p.c*imgs, max(1, elemGrain/plane), b)
		if cp.segments {
			b.stage = implicitSegments
			parallelRange(rc.threads, imgs*cp.segmentTiles()*p.group, segmentsGrain(cp, mg, kg), b)
			continue
		}
		if cp.gather && gatherPays(impl, l, imgs) {
			b.stage = implicitGather
			parallelRange(rc.threads, b.gatherBands(rc.threads, mg, kg), 1, b)
			continue
		}
		// The garbage rows after the chunk's last image are not computed.
		rows := imgs*l.hq - max(0, l.hq-l.oh)
		bandRows := max(1, min(rows, bandCols/l.wq))
		bands := b.productBands(rc.threads, rows, bandRows, mg, kg)
		b.stage = implicitProduct
		parallelRange(rc.threads, bands*p.group*b.mBlocks, 1, b)
	}
}

// ownPlanes reports whether the convolution runs with each thread laying
// out the planes itself (implicitOwn), and if so sets the product's items
// up: when the whole batch is one chunk of images whose product is cut by
// output channels alone (one band, productBands), on two threads or more.
// Each thread then reads all the planes, and when one thread laid them
// out, the others read them from its core, and the next run's layout
// overwrites what they read there: on the 2-vCPU test machine (see
// elemGrain) ResNet-18's 3×3 stride-2 layer of 64 to 128 channels at 56×56
// (batch 1, two threads) took 751 µs so, and 510 µs with each thread
// laying out its own copy, its 1×1 stride-2 ones 0.74-0.86 of the time
// (runs alternated in one process). The layout is cheap beside the
// product (5% of that layer's time on one thread).
func (b *implicitBody) ownPlanes(threads, bandCols, mg, kg int) bool {
	p, cp, l := &b.p, b.cp, b.cp.l
	if threads <= 1 || cp.chunk < p.batch || cp.segments || cp.gather && gatherPays(cp.gemm, l, p.batch) {
		return false
	}
	b.n0, b.imgs = 0, p.batch
	rows := p.batch*l.hq - max(0, l.hq-l.oh)
	bandRows := max(1, min(rows, bandCols/l.wq))
	return b.productBands(threads, rows, bandRows, mg, kg) == 1 && p.group*b.mBlocks >= threads
}

// own computes parts [lo, hi) of b.parts of the product's items (groups
// and blocks of output channels, ownPlanes), each after laying out the
// planes of the whole batch in a buffer of its own.
func (b *implicitBody) own(lo, hi int) {
	p, cp := &b.p, b.cp
	planes := getScratch(p.c * cp.chStride)
	defer putScratch(planes)
	w := *b
	w.planes = *planes
	w.stage = implicitPrefill
	w.do(0, p.c)
	w.stage = implicitBuild
	w.do(0, p.c*b.imgs)
	items := p.group * b.mBlocks
	w.product(lo*items/b.parts, hi*items/b.parts)
}

// productBands sets the bands of output rows of the chunk in progress
// (rows rows, bandRows at most per band for the cache) for the product,
// and its blocks of output channels, and returns the number of bands.
//
// When the bands the cache asks for are fewer than the threads (small
// planes: ResNet-18's 14×14 and 7×7 layers at batch 1), the product is cut
// by output channels, whole panels of mr, into about chunksPerThread
// blocks per thread, rather than into one band of rows per thread: a band
// of a 7-row plane is 4 or 3 rows, one item per thread, so the region
// waits for the thread with the larger band, or for a helper that joins
// late (another process on its core), while blocks of channels are equal
// and many enough for the others to take over. Each block also reads
// only its own channels' weights, which on such planes are most of the
// product's reads.
func (b *implicitBody) productBands(threads, rows, bandRows, mg, kg int) int {
	p, l, mr := &b.p, b.cp.l, b.cp.gemm.mr
	flops := 2 * mg * kg * rows * l.wq * p.group
	sized := (rows + bandRows - 1) / bandRows
	b.mBlocks, b.mPer = 1, mg
	bands := max(sized, min(threads, rows, parallelTasks(flops)))
	if threads > 1 && sized*p.group < threads {
		// Too few channels or too little work leave bands of rows.
		if blocks, per := outputBlocks(threads*chunksPerThread, sized*p.group, mg, mr, flops); sized*p.group*blocks >= threads {
			b.mBlocks, b.mPer, bands = blocks, per, sized
		}
	}
	bandRows = (rows + bands - 1) / bands
	b.rows, b.bandRows = rows, bandRows
	return (rows + bandRows - 1) / bandRows
}

// outputBlocks returns how many blocks of output channels, and how many
// channels each (whole panels of mr), the items of a product of m rows
// are cut into for about want items in all, as far as its panels and its
// flops of work (parallelTasks) allow.
func outputBlocks(want, items, m, mr, flops int) (blocks, per int) {
	n := min((want+items-1)/items, (m+mr-1)/mr, max(1, parallelTasks(flops)/items))
	per = roundUp((m+n-1)/n, mr)
	return (m + per - 1) / per, per
}

// prefillFloats is how many floats prefill writes per channel: the whole
// planes when their rows are short (cleared at once), else their borders
// alone, which a region's grain must count rather than the planes (a
// split of ResNet-18's borders, a few microseconds of work, took longer on
// two threads than on one).
func prefillFloats(cp *convPlan) int {
	l := cp.l
	all := l.phases * (cp.chunk*l.plane() + l.tail())
	if l.wq <= prefillClearWidth {
		return max(1, all)
	}
	return max(1, all-cp.chunk*l.h*l.w)
}

// implicitBody is the state of convImplicit's parallel regions: the
// problem, the planes and, for the chunk of images [n0, n0+imgs) in
// progress, its output rows and the rows per band.
type implicitBody struct {
	stage                    int
	p                        convProblem
	cp                       *convPlan
	planes                   []float32
	weights                  []gemmOperand
	n0, imgs, rows, bandRows int
	// The gathered product: the chunk's valid outputs and a band's, and
	// its blocks of output channels (rowBlocks).
	cols, bandCols int
	mBlocks, mPer  int
	// parts is the number of parts of implicitOwn.
	parts int
}

// The regions of convImplicit, in order.
const (
	implicitPrefill  = iota // zero the planes' padding, per channel
	implicitBuild           // lay out the chunk's images, per channel and image
	implicitProduct         // the GEMM, per band of output rows and group
	implicitSegments        // the segmented GEMM, per column tile and group (conv_segments.go)
	implicitGather          // the gathered GEMM, per band of outputs and group (conv_gather.go)
	implicitOwn             // parts of the product, each on planes it lays out (ownPlanes)
)

var implicitBodies freeList[implicitBody]

func (b *implicitBody) do(lo, hi int) {
	switch b.stage {
	case implicitPrefill:
		cp := b.cp
		for ch := lo; ch < hi; ch++ {
			if cp.shifted {
				clear(b.planes[ch*cp.chStride : (ch+1)*cp.chStride])
				continue
			}
			cp.l.prefill(b.planes[ch*cp.chStride:], cp.chunk, cp.phaseStride, 0)
		}
	case implicitBuild:
		if b.cp.shifted {
			b.buildShifted(lo, hi)
			return
		}
		b.build(lo, hi)
	case implicitSegments:
		b.segments(lo, hi)
	case implicitGather:
		b.gathered(lo, hi)
	case implicitOwn:
		b.own(lo, hi)
	default:
		b.product(lo, hi)
	}
}

// build lays out the images of items [lo, hi) (channel-major) in the
// planes.
func (b *implicitBody) build(lo, hi int) {
	p, cp, l := &b.p, b.cp, b.cp.l
	if r, ok := l.unitRect(); ok {
		// Items image-major, the channels of an image in one copy.
		plane, inPlane := l.plane(), l.h*l.w
		for t := lo; t < hi; {
			img, ch := t/p.c, t%p.c
			n := min(p.c-ch, hi-t)
			cp.taps.Copy3D(b.planes[ch*cp.chStride+img*plane+r.dst:], l.wq, cp.chStride,
				p.x[((b.n0+img)*p.c+ch)*inPlane+r.src:], l.w, inPlane, n, r.rows, r.cols)
			t += n
		}
		return
	}
	scratch := getScratch(l.w + 1)
	defer putScratch(scratch)
	plane := l.plane()
	for t := lo; t < hi; t++ {
		ch, img := t/b.imgs, t%b.imgs
		x := p.x[((b.n0+img)*p.c+ch)*l.h*l.w : ((b.n0+img)*p.c+ch+1)*l.h*l.w]
		l.build(b.planes[ch*cp.chStride+img*plane:], x, cp.phaseStride, cp.taps, *scratch)
	}
}

// product computes the items [lo, hi) (band-major, then group, then
// block of output channels: productBands).
func (b *implicitBody) product(lo, hi int) {
	p, cp, l := &b.p, b.cp, b.cp.l
	impl := cp.gemm
	cg, mg := p.c/p.group, p.m/p.group
	kg := cg * l.kh * l.kw
	ctmp := getScratch(mg * roundUp(b.bandRows*l.wq, impl.nr))
	defer putScratch(ctmp)
	out := l.oh * l.ow
	for t := lo; t < hi; t++ {
		m0 := t % b.mBlocks * b.mPer
		m1 := min(mg, m0+b.mPer)
		g := t / b.mBlocks
		grp, band := g%p.group, g/p.group
		t0 := band * b.bandRows
		t1 := min(b.rows, t0+b.bandRows)
		c0, cols := t0*l.wq, (t1-t0)*l.wq
		ldc := roundUp(cols, impl.nr)
		c := (*ctmp)[:mg*ldc]
		ep := p.groupEpilogue(grp)
		accumulate := p.residual != nil
		if accumulate {
			l.validRows(t0, t1, func(t, run, n int) {
				copyRows(c[m0*ldc+run:], ldc, p.residual[p.outOffset(l, b.n0, grp, t)+m0*out:], out, m1-m0, n)
			})
		}
		planes := b.planes[grp*cg*cp.chStride+c0:]
		impl.rowsIndirect(m0, m1, mg, kg, &b.weights[grp], planes, cp.table, cols, c, ldc, accumulate, true, &ep)
		l.validRows(t0, t1, func(t, run, n int) {
			copyRows(p.y[p.outOffset(l, b.n0, grp, t)+m0*out:], out, c[m0*ldc+run:], ldc, m1-m0, n)
		})
	}
}

// validRows calls f for the real output rows among the global rows
// [t0, t1) of the layout's output runs (not the garbage rows between
// images), with the first row t, its start in the band's run and the
// number n of outputs to take from there: ow, or several rows at once when
// rows have no garbage columns (wq = ow), since they are then contiguous
// both in the run and in the output.
func (l *tapLayout) validRows(t0, t1 int, f func(t, run, n int)) {
	for t := t0; t < t1; {
		if t%l.hq >= l.oh {
			t++
			continue
		}
		rows := 1
		if l.wq == l.ow {
			rows = min(t1, t-t%l.hq+l.oh) - t
		}
		f(t, (t-t0)*l.wq, rows*l.ow)
		t += rows
	}
}

// outOffset is the offset in y of output row t of the chunk starting at
// image n0, in the first channel of group grp.
func (p *convProblem) outOffset(l *tapLayout, n0, grp, t int) int {
	img, oy := n0+t/l.hq, t%l.hq
	return ((img*p.m+grp*(p.m/p.group))*l.oh + oy) * l.ow
}

// packedWeights returns packed, or when it is nil the weights of p (kg
// values per output channel) packed for impl, group by group.
func packedWeights(impl *gemmImpl, p *convProblem, packed []gemmOperand, kg int) []gemmOperand {
	if packed != nil {
		return packed
	}
	mg := p.m / p.group
	for grp := range p.group {
		packed = append(packed, impl.prepackA(rowMajor(p.w[grp*mg*kg:], kg, false), mg, kg))
	}
	return packed
}

// imagesPerThread is the least images per thread for which an implicit
// convolution splits its batch between the threads (convImplicitImages)
// rather than the output rows of each chunk of images.
const imagesPerThread = 2

// convImplicitImages computes p as convImplicit on one thread per part of
// the batch: each goroutine lays out and multiplies images of its own. A
// split by rows has every thread read the planes all threads laid out,
// and its images' inputs wherever the layer before computed them; here no
// region reads planes another core wrote, and a goroutine's images are
// those it computed in the layer before when that layer split the batch
// the same way (parallelRange gives the caller the first images and a
// helper the last). On the 2-vCPU test VM (see elemGrain) a DB text
// detector's 3×3 stride-2 convolution at batch 32 took as long on two
// threads as on one when split by rows, and a YOLO-style detector (not
// batch-separable, so not run as split sub-batches) took 0.75 of the time
// at batch 32 on two threads with its batch split.
func convImplicitImages(rc *runCtx, p *convProblem, packed []gemmOperand, cp *convPlan) {
	b := implicitImagesBodies.get()
	defer implicitImagesBodies.put(b)
	// Weights that are not the Conv's constant ones are packed here once,
	// not by every part.
	kg := p.c / p.group * cp.l.kh * cp.l.kw
	b.rc, b.p, b.packed, b.cp = runCtx{ctx: rc.ctx, threads: 1, maxBytes: rc.maxBytes}, *p, packedWeights(cp.gemm, p, packed, kg), cp
	parallelRange(rc.threads, p.batch, 1, b)
	*b = implicitImagesBody{}
}

// implicitImagesBody is convImplicitImages's region: its items are
// images, each part computed by convImplicit on one thread.
type implicitImagesBody struct {
	rc     runCtx
	p      convProblem
	packed []gemmOperand
	cp     *convPlan
}

var implicitImagesBodies freeList[implicitImagesBody]

func (b *implicitImagesBody) do(lo, hi int) {
	q, g := b.p, &b.p.geo
	in, out := q.c*g.in[0]*g.in[1], q.m*g.out[0]*g.out[1]
	q.batch = hi - lo
	q.x, q.y = q.x[lo*in:hi*in], q.y[lo*out:hi*out]
	if q.residual != nil {
		q.residual = q.residual[lo*out : hi*out]
	}
	rc := b.rc
	convImplicit(&rc, &q, b.packed, b.cp)
}
