package native

// isPointwise reports whether p is a 1×1 convolution with unit strides and
// no padding, whose input planes are the rows of its GEMM's B as they lie.
func isPointwise(p *convProblem) bool {
	g := &p.geo
	return g.kernel[0] == 1 && g.kernel[1] == 1 && g.stride[0] == 1 && g.stride[1] == 1 &&
		g.padBegin[0] == 0 && g.padBegin[1] == 0 && g.padEnd[0] == 0 && g.padEnd[1] == 0
}

// usePointwise reports whether convPointwise suits p: planes large enough
// that their last partial column tile wastes little (smaller ones do
// better spanning images in the implicit layout).
func usePointwise(p *convProblem) bool {
	return isPointwise(p) && (p.batch == 1 || p.geo.in[0]*p.geo.in[1] >= 8*defaultGemm().nr)
}

// pointwisePrefetch reports whether the kernel should prefetch the input
// of a pointwise convolution (simd.Prefetch), when its rows (channels) are
// many streams (more than the hardware prefetcher follows; with 24 it made
// no difference) and long enough for the next column tile to be in the
// same row, and the input is not in the L2 cache: in a batch, whose images
// the layer before wrote long before, or in an image of more than
// pointwiseColdBytes. A smaller image is still in the cache, where
// prefetching costs more than it saves (measured on MobileNetV2's 1×1
// layers at 28×28).
func pointwisePrefetch(p *convProblem) bool {
	cg, hw := p.c/p.group, p.geo.in[0]*p.geo.in[1]
	if hw < 8*defaultGemm().nr {
		return false
	}
	return p.batch > 1 && cg >= 64 || cg >= 32 && 4*cg*hw > pointwiseColdBytes
}

// pointwiseColdBytes is the size of an image's input beyond which
// pointwisePrefetch prefetches it: the L2 cache of one core (1 MB on the
// machine measured), which the layer before, writing it, overflowed.
// On MobileNetV2's 32→16 at 112×112, 96→24 and 144→24 at 56×56 (1.2 to
// 1.6 MB) with the caches flushed, the layers ran 25–45% faster; with the
// input in the caches, the same.
var pointwiseColdBytes = 1 << 20

// convPointwise computes a 1×1 convolution with unit strides and no
// padding image by image, as the product of the weights with the input
// read in place (channel ch of the group is row ch of B), stored in place.
// Column bands split the work between threads when images are few.
func convPointwise(rc *runCtx, p *convProblem, packed []gemmOperand, cp *convPlan) {
	impl := cp.gemm
	hw := p.geo.in[0] * p.geo.in[1]
	b := pointwiseBodies.get()
	defer pointwiseBodies.put(b)
	b.p, b.cp, b.weights = *p, cp, packedWeights(impl, p, packed, p.c/p.group)
	b.perBand, b.bands = pointwiseBands(rc, p, (hw+impl.nr-1)/impl.nr)
	parallelRange(rc.threads, p.batch*p.group*b.bands, 1, b)
}

// pointwiseBands splits the tiles of each image and group of p into
// bands of perBand tiles, enough for every thread when products are few.
func pointwiseBands(rc *runCtx, p *convProblem, tiles int) (perBand, bands int) {
	hw := p.geo.in[0] * p.geo.in[1]
	products := p.batch * p.group
	split := min(rc.threads, parallelTasks(2*(p.m/p.group)*(p.c/p.group)*hw*products))
	perBand = max(1, tiles/max(1, (split+products-1)/products))
	return perBand, (tiles + perBand - 1) / perBand
}

// pointwiseBody is the state of convPointwise's region: the items are
// the bands (of perBand column tiles) of each image and group.
type pointwiseBody struct {
	p              convProblem
	cp             *convPlan
	weights        []gemmOperand
	perBand, bands int
}

var pointwiseBodies freeList[pointwiseBody]

func (b *pointwiseBody) do(lo, hi int) {
	p, impl := &b.p, b.cp.gemm
	hw := p.geo.in[0] * p.geo.in[1]
	cg, mg := p.c/p.group, p.m/p.group
	for t := lo; t < hi; t++ {
		prod, band := t/b.bands, t%b.bands
		img, grp := prod/p.group, prod%p.group
		j0 := band * b.perBand * impl.nr
		j1 := min(hw, j0+b.perBand*impl.nr)
		in := (img*p.c+grp*cg)*hw + j0
		out := (img*p.m+grp*mg)*hw + j0
		ep := gemmEpilogue{}
		if p.bias != nil {
			ep.rowBias = p.bias[grp*mg : (grp+1)*mg]
		}
		p.act.setEpilogue(&ep)
		ep.prefetchB = b.cp.prefetchB
		if p.residual != nil {
			copyRows(p.y[out:], hw, p.residual[out:], hw, mg, j1-j0)
		}
		impl.regionIndirect(mg, cg, &b.weights[grp], p.x[in:], b.cp.table, j1-j0, p.y[out:], hw, p.residual != nil, false, &ep)
	}
}
