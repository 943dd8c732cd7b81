package native

import (
	"sync"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

// Winograd convolution for 3×3 layers of stride 1, dilation 1 and one
// group (any padding): F(m×m, 3×3) with output tiles of m = 2 or 4
// (conv_winograd_transform.go). The output is cut into m×m tiles; the
// tiles of a block of whole tile rows (across images) have their input
// patches transformed into α² matrices V_ξ (C × tiles, α = m+2) written in
// the GEMM kernel's packed B layout, the α² products M_ξ = U_ξ·V_ξ run
// through the packed kernels with U_ξ (M × C, the transformed filters)
// packed once per Conv, and the output transform takes each tile's α²
// products to its m×m outputs with the Conv's bias, residual and
// activation. A 3×3 layer then costs α²/m² multiply-adds per output and
// input channel instead of 9 (4 for m = 2, 2.25 for m = 4), plus the
// transforms; winoTile weighs that against the direct paths.

// Cost model of winoTile, in multiply-adds of the GEMM kernel, fitted on
// BenchmarkConvWinograd (one thread; ResNet-18's 3×3 layers, the digits
// CNN's and a small one, batch 1 and 32).
const (
	// winoRowCost2 and winoRowCost4 are what transforming one tile row
	// of one channel (input or output) costs per vector of tiles, for
	// tiles of 2 and 4: the calls, the rows' copies, phases and
	// interleaving, and the transforms.
	winoRowCost2 = 4500
	winoRowCost4 = 12500
	// winoDepthOverhead is the depth steps' equivalent of a GEMM tile's
	// fixed costs (its call and epilogue), which shallow products feel.
	winoDepthOverhead = 16
	// winoStreamCost is what reading one float of transformed filters
	// from memory again costs, for filters larger than winoCachedWeights,
	// which every block after the first reads again (fitted on ResNet-18's
	// 512@7 layer at batch 32, whose 16 MB of filters took 32 blocks).
	winoStreamCost    = 6
	winoCachedWeights = 1 << 18
	// winoMinGain is the most of the direct path's cost Winograd may
	// cost to be chosen: a margin for the cost model's error.
	winoMinGain = 0.85
	// winoBlockFloats bounds a block's transformed inputs and products,
	// so that they stay in the L2 cache between the stages.
	winoBlockFloats = 1 << 18
	// winoSplitMaxFloats bounds the transformed inputs of a channel-split
	// plan's single block (2 MB), which each thread writes whole.
	winoSplitMaxFloats = 1 << 19
	// winoMaxWeights bounds the transformed filters of one Conv (8 MB),
	// which are kept beside the packed ones: ResNet-18's 512-channel
	// layers would take 16 MB each for about 3% of a run at batch 1 and
	// nothing at batch 32, its 256-channel ones take 4 MB (F(2×2)) for
	// about 30% of their time.
	winoMaxWeights = 1 << 21
)

// winogradEnabled lets the planner choose Winograd; tests turn it off to
// compare.
var winogradEnabled = true

// winoApplies reports whether p is a convolution Winograd computes: 3×3,
// stride 1, dilation 1, one group.
func winoApplies(p *convProblem) bool {
	g := &p.geo
	return p.group == 1 && len(g.kernel) == 2 && g.kernel[0] == 3 && g.kernel[1] == 3 &&
		g.stride[0] == 1 && g.stride[1] == 1 && g.dilation[0] == 1 && g.dilation[1] == 1 &&
		g.out[0] > 0 && g.out[1] > 0
}

// winoTile returns the tile size (2 or 4) with which Winograd is expected
// to be fastest for p with kernel impl, or 0 when the direct paths are.
// It decides for one image whatever the batch, so that every batch size
// computes the same sums: a batch split into sub-batches (split_run.go)
// must give the whole batch's outputs bit for bit.
func winoTile(p *convProblem, impl *gemmImpl) int {
	if !winogradEnabled || !winoApplies(p) || !defaultTaps().HasWinograd() {
		return 0
	}
	one := *p
	one.batch = 1
	mPad := float64(roundUp(p.m, impl.mr))
	best, bestCost := 0, winoMinGain*mPad*float64(9*p.c)*float64(p.geo.out[0]*p.geo.out[1])
	for _, m := range []int{2, 4} {
		wp := newWinoPlan(&one, m, impl)
		if wp == nil {
			continue
		}
		if c := wp.cost(&one, impl, defaultTaps()); c < bestCost {
			best, bestCost = m, c
		}
	}
	return best
}

// winoPlan is the Winograd part of a convolution's plan.
type winoPlan struct {
	m, alpha int
	// th and tw are the tiles per column and row of an image, tileRows
	// those of the batch; a block has rows tile rows, or one fewer
	// (balanced, or the last block).
	th, tw, tileRows, rows int
	// blocks is the number of blocks. When balanced, block k has tile
	// rows [k·tileRows/blocks, (k+1)·tileRows/blocks), rows or rows-1 of
	// them, else [k·rows, (k+1)·rows), the last one cut short.
	blocks   int
	balanced bool
	// The transforms and their tables (simd.WinoTransform): the input's
	// offsets in the phases of a tile row and in v, for a whole block and
	// the last, the products' in mb for the same, and the outputs' in a
	// tile row's buffer.
	inKind, outKind simd.WinoKind
	inSrc, outDst   *simd.Offsets
	inDst, outSrc   [2]*simd.Offsets
	// narrow is the kernel of a last column panel of at most its width
	// (gemmImpl.narrowed), or nil.
	narrow *gemmImpl
	// weights holds the transformed filters for a problem that does not
	// bring its Conv's (convProblem.winoW).
	weights winoWeights
	// split: the threads share the output channels (winoSplits), each
	// transforming the whole input in one block of every tile row.
	split bool
}

// winoSplits reports whether p, planned as wp, runs on threads threads
// best with the output channels split between them, rather than the
// blocks of tile rows (or each block's stages). Every block reads all the
// transformed filters, so with blocks per thread each thread reads them
// all, from beyond its cache: at batch 1, ResNet-18's 256@14 layers (4.2 MB of
// filters at F(2×2), 49 tiles) spent most of their time reading them. Split by
// output channels, each thread reads its share of the filters once, for
// transforming the whole input itself, which pays when the filters
// outweigh the transformed inputs several times (M ≥ 4 × tiles) and those
// fit the cache. On two threads, BenchmarkConvBatch with caches flushed:
// 256@14 (M = 5.2 × tiles) went from 1048 to 881 µs split so, while
// 128@28 at F(4×4) (2.6 × tiles, 2.4 MB of filters, twice the input) took
// 1.25× longer, and 64@56 1.39×.
func winoSplits(p *convProblem, wp *winoPlan, impl *gemmImpl, threads int) bool {
	a2 := wp.alpha * wp.alpha
	tiles := wp.tileRows * wp.tw
	return threads > 1 && p.m >= 2*threads*impl.mr && p.m >= 4*tiles &&
		a2*p.m*p.c > winoCachedWeights && a2*p.c*wp.width(tiles, impl) <= winoSplitMaxFloats
}

// newWinoPlan plans p with tiles of m outputs for kernel impl, or returns
// nil when its transformed filters would be too large.
func newWinoPlan(p *convProblem, m int, impl *gemmImpl) *winoPlan {
	return newWinoPlanRows(p, m, impl, 0)
}

// newWinoPlanRows is newWinoPlan with blocks of rows tile rows, or of the
// size that suits the cache when rows is 0.
func newWinoPlanRows(p *convProblem, m int, impl *gemmImpl, rows int) *winoPlan {
	a := m + 2
	if a*a*p.m*p.c > winoMaxWeights {
		return nil
	}
	wp := &winoPlan{m: m, alpha: a, narrow: impl.narrowed()}
	wp.th, wp.tw = (p.geo.out[0]+m-1)/m, (p.geo.out[1]+m-1)/m
	wp.tileRows = p.batch * wp.th
	if rows > 0 {
		wp.rows = min(rows, wp.tileRows)
	} else {
		most := max(1, min(wp.tileRows, winoBlockFloats/(a*a*(p.c+p.m)*wp.tw)))
		// Of the block sizes down to half the largest, the one whose
		// blocks take the fewest of the kernel's columns.
		wp.rows = most
		for r := most - 1; r >= max(1, most/2); r-- {
			if wp.columns(r, impl) < wp.columns(wp.rows, impl) {
				wp.rows = r
			}
		}
	}
	wp.blocks = (wp.tileRows + wp.rows - 1) / wp.rows
	wp.tables(p, impl)
	return wp
}

// tables sets the transforms' offset tables up.
func (wp *winoPlan) tables(p *convProblem, impl *gemmImpl) {
	m, a, tw := wp.m, wp.alpha, wp.tw
	wp.inKind, wp.outKind = simd.WinoInput2, simd.WinoOutput2
	if m == 4 {
		wp.inKind, wp.outKind = simd.WinoInput4, simd.WinoOutput4
	}
	l := tw + 1
	in := make([]int, a*a)
	for i := range a {
		for j := range a {
			in[i*a+j] = j%m*a*l + i*l + j/m
		}
	}
	wp.inSrc = simd.NewOffsets(in)
	out := make([]int, m*m)
	for e := range out {
		out[e] = e * tw
	}
	wp.outDst = simd.NewOffsets(out)
	last := wp.tileRows - (wp.tileRows-1)/wp.rows*wp.rows
	if wp.balanced {
		last = max(1, wp.rows-1)
	}
	for i, rows := range [2]int{wp.rows, last} {
		nb := rows * tw
		dst, src := make([]int, a*a), make([]int, a*a)
		for xi := range dst {
			dst[xi] = xi * p.c * wp.width(nb, impl)
			src[xi] = xi * p.m * nb
		}
		wp.inDst[i], wp.outSrc[i] = simd.NewOffsets(dst), simd.NewOffsets(src)
	}
}

// blockRows returns block k's tile rows [g0, g1).
func (wp *winoPlan) blockRows(k int) (g0, g1 int) {
	if wp.balanced {
		return k * wp.tileRows / wp.blocks, (k + 1) * wp.tileRows / wp.blocks
	}
	return k * wp.rows, min(wp.tileRows, (k+1)*wp.rows)
}

// balance cuts the tile rows into blocks of as many rows as can be (one
// fewer at most), as many blocks as before rounded up to a multiple of
// threads, so that threads computing whole blocks (winoBlocksStage) get
// as many rows each. Cut into blocks of rows and a short last one, the
// 14 tile rows of ResNet-18's 56×56 layers at F(4×4) made blocks of
// 4, 4, 4 and 2 rows, and the thread with two of 4 took 8/14 of the
// time; balanced, they are 4, 3, 4 and 3.
func (wp *winoPlan) balance(p *convProblem, impl *gemmImpl, threads int) {
	blocks := roundUp(wp.blocks, threads)
	if threads <= 1 || wp.blocks < threads || blocks > wp.tileRows {
		return
	}
	wp.blocks, wp.rows, wp.balanced = blocks, (wp.tileRows+blocks-1)/blocks, true
	wp.tables(p, impl)
}

// columns is how many columns the kernel impl computes over the batch's
// tiles in blocks of rows tile rows.
func (wp *winoPlan) columns(rows int, impl *gemmImpl) int {
	blocks := wp.tileRows / rows
	cols := blocks * wp.width(rows*wp.tw, impl)
	if last := wp.tileRows - blocks*rows; last > 0 {
		cols += wp.width(last*wp.tw, impl)
	}
	return cols
}

// cost is the modelled cost of running p with the plan, in multiply-adds.
func (wp *winoPlan) cost(p *convProblem, impl *gemmImpl, taps *simd.TapKernel) float64 {
	a2 := float64(wp.alpha * wp.alpha)
	blocks := wp.blocks
	cols := float64(wp.columns(wp.rows, impl))
	gemm := a2 * float64(roundUp(p.m, impl.mr)) * float64(p.c+winoDepthOverhead) * cols
	row := float64(winoRowCost4)
	if wp.m == 2 {
		row = winoRowCost2
	}
	vectors := (wp.tw + taps.Width - 1) / taps.Width
	stream := 0.0
	if weights := a2 * float64(p.m*p.c); weights > winoCachedWeights {
		stream = winoStreamCost * weights * float64(blocks-1)
	}
	return gemm + row*float64((p.c+p.m)*wp.tileRows*vectors) + stream
}

// winoWeights is a Conv's transformed filters, packed as A operands for
// the kernel they were packed for, per tile size.
type winoWeights struct {
	mu     sync.Mutex
	impl   *gemmImpl
	byTile [2][]gemmOperand // m = 2, m = 4
}

// get returns the α² transformed filters U_ξ of p for tiles of m outputs,
// packed for impl, transforming them when they were not yet.
func (ww *winoWeights) get(impl *gemmImpl, m int, p *convProblem) []gemmOperand {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	if ww.impl != impl {
		ww.impl, ww.byTile = impl, [2][]gemmOperand{}
	}
	i := m / 4
	if ww.byTile[i] == nil {
		ww.byTile[i] = packWinoFilters(impl, m, p)
	}
	return ww.byTile[i]
}

// packWinoFilters transforms p's filters for tiles of m outputs and packs
// each U_ξ (M × C) for impl.
func packWinoFilters(impl *gemmImpl, m int, p *convProblem) []gemmOperand {
	a2 := (m + 2) * (m + 2)
	mc := p.m * p.c
	u := make([]float32, a2*mc)
	var t [winoMaxAlpha * winoMaxAlpha]float32
	for i := range mc {
		winoFilter(t[:a2], p.w[i*9:i*9+9], m)
		for xi := range a2 {
			u[xi*mc+i] = t[xi]
		}
	}
	ops := make([]gemmOperand, a2)
	for xi := range ops {
		ops[xi] = impl.prepackA(rowMajor(u[xi*mc:], p.c, false), p.m, p.c)
	}
	return ops
}

// convWinograd computes p with the Winograd plan of cp, block by block of
// tile rows: each block's input transform in parallel over channels, its
// products over ξ, its output transform over output channels. On two or
// more threads, a plan with as many blocks as threads gives each thread
// whole blocks instead (winoBlocksStage), and a split plan gives each
// thread a part of the output channels (winoSplitStage, winoSplits).
func convWinograd(rc *runCtx, p *convProblem, cp *convPlan) {
	wp, impl := cp.wino, cp.gemm
	ww := p.winoW
	if ww == nil {
		ww = &wp.weights
	}
	a2 := wp.alpha * wp.alpha
	nb := wp.rows * wp.tw
	v := getScratch(a2 * p.c * wp.width(nb, impl))
	defer putScratch(v)
	mb := getScratch(a2 * p.m * nb)
	defer putScratch(mb)
	b := winoBodies.get()
	defer winoBodies.put(b)
	*b = winoBody{p: *p, wp: wp, impl: impl, u: ww.get(impl, wp.m, p), v: *v, mb: *mb, taps: cp.taps}
	if wp.split && rc.threads > 1 {
		b.stage, b.parts = winoSplitStage, rc.threads
		parallelRange(rc.threads, rc.threads, 1, b)
		return
	}
	if rc.threads > 1 && wp.blocks >= rc.threads {
		// Whole blocks per thread: one region rather than three a block.
		b.stage = winoBlocksStage
		parallelRange(rc.threads, wp.blocks, 1, b)
		return
	}
	for k := range wp.blocks {
		b.g0, b.g1 = wp.blockRows(k)
		b.nb = (b.g1 - b.g0) * wp.tw
		b.nPad = wp.width(b.nb, impl)
		grain := max(1, (elemGrain/4)/(a2*b.nb))
		b.stage = winoInputStage
		parallelRange(rc.threads, p.c, grain, b)
		b.stage = winoGemmStage
		parallelRange(rc.threads, a2, 1, b)
		b.stage = winoOutputStage
		parallelRange(rc.threads, p.m, grain, b)
	}
}

// The stages of a block in convWinograd.
const (
	winoInputStage  = iota // input transform, per input channel
	winoGemmStage          // products, per ξ
	winoOutputStage        // output transform, per output channel
	winoBlocksStage        // whole blocks, each on its own buffers
	winoSplitStage         // parts of the output channels (winoSplits)
)

// winoBody is the state of convWinograd's regions: the problem, the plan,
// the transformed filters u, the buffers of transformed inputs v (α²
// packed B operands of C × nPad) and products mb (α² matrices of M × nb),
// and the block of tile rows [g0, g1) in progress, with its nb tiles.
type winoBody struct {
	stage            int
	p                convProblem
	wp               *winoPlan
	impl             *gemmImpl
	u                []gemmOperand
	v, mb            []float32
	g0, g1, nb, nPad int
	taps             *simd.TapKernel
	// parts is the number of output channel parts of winoSplitStage.
	parts int
}

var winoBodies freeList[winoBody]

func (b *winoBody) do(lo, hi int) {
	switch b.stage {
	case winoBlocksStage:
		b.blocks(lo, hi)
	case winoSplitStage:
		b.split(lo, hi)
	case winoInputStage:
		for c := lo; c < hi; c++ {
			b.input(c)
		}
	case winoGemmStage:
		p := &b.p
		vs, ms := p.c*b.nPad, p.m*b.nb
		for xi := lo; xi < hi; xi++ {
			b.product(b.u[xi].packed, b.v[xi*vs:(xi+1)*vs], b.mb[xi*ms:(xi+1)*ms], 0, p.m)
		}
	default:
		for mo := lo; mo < hi; mo++ {
			b.output(mo)
		}
	}
}

// blocks computes the blocks [lo, hi) one after the other, each through
// the three stages on one thread, on buffers of their own.
func (b *winoBody) blocks(lo, hi int) {
	wp, p := b.wp, &b.p
	a2 := wp.alpha * wp.alpha
	nb := wp.rows * wp.tw
	v := getScratch(a2 * p.c * wp.width(nb, b.impl))
	defer putScratch(v)
	mb := getScratch(a2 * p.m * nb)
	defer putScratch(mb)
	w := *b
	w.v, w.mb = *v, *mb
	for blk := lo; blk < hi; blk++ {
		w.g0, w.g1 = wp.blockRows(blk)
		w.nb = (w.g1 - w.g0) * wp.tw
		w.nPad = wp.width(w.nb, w.impl)
		for _, st := range [3]struct{ stage, n int }{{winoInputStage, p.c}, {winoGemmStage, a2}, {winoOutputStage, p.m}} {
			w.stage = st.stage
			w.do(0, st.n)
		}
	}
}

// split computes the parts [lo, hi) of the output channels (of b.parts,
// cut at multiples of the kernel's row tile), one after the other, each
// through the three stages on buffers of its own: the input transform of
// the whole batch (the plan has one block), the products of its channels
// and their output transform.
func (b *winoBody) split(lo, hi int) {
	wp, p, impl := b.wp, &b.p, b.impl
	a2 := wp.alpha * wp.alpha
	v := getScratch(a2 * p.c * wp.width(wp.rows*wp.tw, impl))
	defer putScratch(v)
	mb := getScratch(a2 * p.m * wp.rows * wp.tw)
	defer putScratch(mb)
	w := *b
	w.v, w.mb = *v, *mb
	cut := func(part int) int { return min(p.m, part*p.m/b.parts/impl.mr*impl.mr) }
	for part := lo; part < hi; part++ {
		m0, m1 := cut(part), cut(part+1)
		if part == b.parts-1 {
			m1 = p.m
		}
		for k := range wp.blocks {
			w.g0, w.g1 = wp.blockRows(k)
			w.nb = (w.g1 - w.g0) * wp.tw
			w.nPad = wp.width(w.nb, impl)
			for c := range p.c {
				w.input(c)
			}
			vs, ms := p.c*w.nPad, p.m*w.nb
			for xi := range a2 {
				w.product(w.u[xi].packed, w.v[xi*vs:(xi+1)*vs], w.mb[xi*ms:(xi+1)*ms], m0, m1)
			}
			for mo := m0; mo < m1; mo++ {
				w.output(mo)
			}
		}
	}
}

// panels returns how the kernel impl computes nb columns: full panels
// of impl.nr columns, then one panel on the narrow kernel (not nil) when
// the last one has at most its width of columns.
func (wp *winoPlan) panels(nb int, impl *gemmImpl) (full int, narrow *gemmImpl) {
	full = (nb + impl.nr - 1) / impl.nr
	if rest := nb - (full-1)*impl.nr; rest < impl.nr && wp.narrow != nil && rest <= wp.narrow.nr {
		return full - 1, wp.narrow
	}
	return full, nil
}

// width is the columns of the packed B layout of nb columns, the narrow
// panel's counted at its width.
func (wp *winoPlan) width(nb int, impl *gemmImpl) int {
	full, narrow := wp.panels(nb, impl)
	if narrow != nil {
		return full*impl.nr + narrow.nr
	}
	return full * impl.nr
}

// product computes rows [m0, m1) (m0 a multiple of the kernel's row
// tile) of the M × nb product c (row stride nb) of the packed A operand a
// (M × C) and the block's packed B operand bp (C × nb, in
// winoPlan.width's layout), depth block by depth block, the last panel on
// the narrow kernel when winoPlan.panels says.
func (b *winoBody) product(a, bp, c []float32, m0, m1 int) {
	p, impl := &b.p, b.impl
	full, narrow := b.wp.panels(b.nb, impl)
	fullCols := min(b.nb, full*impl.nr)
	mPad := roundUp(p.m, impl.mr)
	for pc := 0; pc < p.c; pc += impl.kc {
		kcb := min(impl.kc, p.c-pc)
		sep := (*gemmEpilogue)(nil).simdEpilogue(1, pc > 0, pc+kcb >= p.c)
		ap, bb := a[pc*mPad:], bp[pc*b.nPad:]
		for ic := m0; ic < m1; ic += impl.mc {
			mcb := min(impl.mc, m1-ic)
			if fullCols > 0 {
				impl.macro(mcb, fullCols, kcb, ap[ic*kcb:], bb, c[ic*b.nb:], b.nb, &sep, nil, ic, 0)
			}
			if narrow != nil {
				narrow.macro(mcb, b.nb-fullCols, kcb, ap[ic*kcb:], bb[full*impl.nr*kcb:], c[ic*b.nb+fullCols:], b.nb, &sep, nil, ic, fullCols)
			}
		}
	}
}

// input transforms the block's patches of input channel c into v, at the
// places of the packed B layout (depth c, column the tile's), tile row by
// tile row: the row's α input rows, zero-padded, are split into their m
// phases (column u·m+ph of the rows at ph·α·L + u), where the α×α patch of
// tile tx is read at offsets (inSrc) from tx, so that the row's tiles are
// transformed as lanes.
func (b *winoBody) input(c int) {
	p, wp, taps := &b.p, b.wp, b.taps
	g := &p.geo
	h, w, m, a := g.in[0], g.in[1], wp.m, wp.alpha
	nr, kc := b.impl.nr, b.impl.kc
	pc := c / kc * kc
	kcb := min(kc, p.c-pc)
	l := wp.tw + 1
	buf := getScratch(3 * a * l * m)
	defer putScratch(buf)
	rows, split, phases := (*buf)[:a*l*m], (*buf)[a*l*m:2*a*l*m], (*buf)[2*a*l*m:]
	dst := wp.inDst[0]
	if b.g1-b.g0 < wp.rows {
		dst = wp.inDst[1]
	}
	for gr := b.g0; gr < b.g1; gr++ {
		n, ty := gr/wp.th, gr%wp.th
		x := p.x[(n*p.c+c)*h*w : (n*p.c+c+1)*h*w]
		winoRows(rows, l*m, x, h, w, ty*m-g.padBegin[0], g.padBegin[1], a)
		if m == 2 {
			taps.Deinterleave2D(phases, l, phases[a*l:], l, rows, 2*l, a, l)
		} else {
			// Columns 4u, 4u+2 from the even ones, 4u+1, 4u+3 from the odd.
			taps.Deinterleave2D(split, 2*l, split[2*a*l:], 2*l, rows, 4*l, a, 2*l)
			taps.Deinterleave2D(phases, l, phases[2*a*l:], l, split, 2*l, a, l)
			taps.Deinterleave2D(phases[a*l:], l, phases[3*a*l:], l, split[2*a*l:], 2*l, a, l)
		}
		for tx := 0; tx < wp.tw; {
			j := (gr-b.g0)*wp.tw + tx
			lanes := min(wp.tw-tx, nr-j%nr)
			o := pc*b.nPad + j/nr*nr*kcb + (c-pc)*nr + j%nr
			if full, narrow := wp.panels(b.nb, b.impl); narrow != nil && j >= full*nr {
				o = pc*b.nPad + full*nr*kcb + (c-pc)*narrow.nr + j%nr
			}
			taps.WinoTransform(wp.inKind, b.v[o:], dst, phases[tx:], wp.inSrc, lanes)
			tx += lanes
		}
	}
}

// winoRows copies the a rows of the h×w plane x from row y0 into rows
// (ld values a row), each shifted right by pl columns, with zeros outside
// the plane.
func winoRows(rows []float32, ld int, x []float32, h, w, y0, pl, a int) {
	for i := range a {
		row := rows[i*ld : (i+1)*ld]
		y := y0 + i
		if y < 0 || y >= h {
			clear(row)
			continue
		}
		src := x[y*w : (y+1)*w]
		lo := max(0, pl)
		clear(row[:lo])
		k := copy(row[lo:], src[max(0, -pl):])
		clear(row[lo+k:])
	}
}

// output transforms the block's products of output channel mo into its
// tiles of y, tile row by tile row: the row's tiles as lanes, their m×m
// outputs at (r·m+s)·tw + tx of a buffer, interleaved into the rows of a
// second one, to which the residual is added, then stored with the bias
// and the activation's clamp (simd.TapKernel.Sum of one tap), and the
// activation's function applied.
func (b *winoBody) output(mo int) {
	p, wp, taps := &b.p, b.wp, b.taps
	oh, ow := p.geo.out[0], p.geo.out[1]
	m, tw := wp.m, wp.tw
	var bias float32
	if p.bias != nil {
		bias = p.bias[mo]
	}
	clamp, lo, hi := false, float32(0), float32(0)
	if p.act != nil && p.act.clamp {
		clamp, lo, hi = true, p.act.lo, p.act.hi
	}
	src := wp.outSrc[0]
	if b.g1-b.g0 < wp.rows {
		src = wp.outSrc[1]
	}
	buf := getScratch(m*m*tw + m*ow)
	defer putScratch(buf)
	t, rb := (*buf)[:m*m*tw], (*buf)[m*m*tw:]
	for gr := b.g0; gr < b.g1; gr++ {
		n, ty := gr/wp.th, gr%wp.th
		oy := ty * m
		rows := min(m, oh-oy)
		o := (n*p.m+mo)*oh*ow + oy*ow
		taps.WinoTransform(wp.outKind, t, wp.outDst, b.mb[mo*b.nb+(gr-b.g0)*tw:], src, tw)
		winoInterleave(rb, t, m, tw, rows, ow)
		band := rb[:rows*ow]
		if p.residual != nil {
			taps.Map(simd.VecAdd, band, band, p.residual[o:o+rows*ow], 0)
		}
		y := p.y[o : o+rows*ow]
		taps.Sum(y, band, winoOneTap[:], winoOne[:], bias, clamp, lo, hi)
		if p.act != nil && p.act.fn != nil {
			p.act.fn(y, y)
		}
	}
}

// winoOneTap and winoOne make simd.TapKernel.Sum a copy with bias and
// clamp.
var (
	winoOneTap = [1]int{0}
	winoOne    = [1]float32{1}
)

// winoInterleave writes the rows rows (of ow values) of a tile row from
// t, which holds output (r, tx·m+s) at (r·m+s)·tw + tx.
func winoInterleave(rb, t []float32, m, tw, rows, ow int) {
	for r := range rows {
		row := rb[r*ow : (r+1)*ow]
		for s := range m {
			ts := t[(r*m+s)*tw : (r*m+s+1)*tw]
			for tx, v := range ts {
				if x := tx*m + s; x < ow {
					row[x] = v
				}
			}
		}
	}
}

// planWinograd sets cp up for Winograd with the tile size the cost model
// prefers (4 when it prefers none: a test forcing the path), or for the
// packed im2col when the transformed filters would be too large.
func (cp *convPlan) planWinograd(p *convProblem) {
	m := winoTile(p, cp.gemm)
	if m == 0 {
		m = 4
	}
	cp.wino = newWinoPlan(p, m, cp.gemm)
	if cp.wino != nil && winoSplits(p, cp.wino, cp.gemm, cp.threads) {
		cp.wino = newWinoPlanRows(p, m, cp.gemm, cp.wino.tileRows)
		cp.wino.split = true
	} else if cp.wino != nil {
		cp.wino.balance(p, cp.gemm, cp.threads)
	}
	if cp.wino == nil || !winoApplies(p) {
		cp.algo, cp.wino = algoIm2col, nil
	}
}
