package native

import (
	"sync"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

// The transposed pointwise convolution. convPointwise computes a 1×1
// convolution as Y = W·X, output channels as rows (tiles of mr = 8) and
// positions as columns (tiles of nr = 32): a 7×7 plane is 49 columns, which
// take two column tiles, 64 columns, for 49 real ones (77%), and a 14×14
// plane 208 for 196. Transposed, Yᵀ = Xᵀ·Wᵀ, the positions are rows: 49
// are six row tiles and one row, which the one-row kernel computes, and
// output channels, usually a multiple of 32, fill the column tiles. The
// transposed kernel (simd.GemmKernel.TileTrans) reads the input where it
// lies, through the same offset table (row p of Xᵀ's panels is channel p),
// and stores its tiles transposed, straight into the output planes, so
// the product needs neither a packed copy of X nor a transposition pass.
// Its depth steps are the untransposed kernel's, so the results are bit
// for bit those of convPointwise. Wᵀ is packed as a B operand once per
// Conv (transWeights), not per plan: a batcher's alternating batch sizes
// make a new plan at every change of shape.

// transPlan is the transposed path's part of a pointwise plan.
type transPlan struct {
	// panelTable reads a packed A panel (mr values per depth step, one
	// depth block) through the transposed kernel: offsets mr·p.
	panelTable *simd.Offsets
	// weights holds each group's Wᵀ packed as a B operand, for a problem
	// that does not bring its Conv's (convProblem.transW).
	weights transWeights
}

// pointwiseTransEnabled turns the transposed path on; tests turn it off
// to compare.
var pointwiseTransEnabled = true

// The transposed path runs when its tiles, with the epilogue's
// transposition counted as transEpilogueSteps depth steps, cost less than
// transMinGain of the untransposed ones'. Measured per layer on one
// thread (BenchmarkConvPointwiseTrans, CPU time), MobileNetV2's 1×1 layers
// ran at 77–81 GFLOP/s untransposed and 98–101 transposed at 7×7, 92–97
// and 97–103 at 14×14, and as fast or slower transposed at 28×28 and
// 56×56, whose positions fill the column tiles.
const (
	transEpilogueSteps = 4
	transMinGain       = 0.97
)

// useTransposed reports whether p, a pointwise convolution, is cheaper
// transposed with kernel impl.
func useTransposed(p *convProblem, impl *gemmImpl) bool {
	if !pointwiseTransEnabled || impl.kern.Trans == nil || !isPointwise(p) {
		return false
	}
	hw := p.geo.in[0] * p.geo.in[1]
	cg, mg := p.c/p.group, p.m/p.group
	return transCost(hw, mg, cg, impl) < transMinGain*pointwiseCost(hw, mg, cg, impl)
}

// pointwiseCost is convPointwise's work in depth steps of a tile's row:
// rows of mr, columns of nr, a last partial column tile counted whole (on
// the narrow kernel it costs about as much: the layers at 14×14, whose
// last tile is narrow, gain from the transposed path as the model says
// only when it is).
func pointwiseCost(hw, mg, cg int, impl *gemmImpl) float64 {
	return float64(roundUp(mg, impl.mr)*roundUp(hw, impl.nr)) * float64(cg)
}

// transCost is the transposed path's work in the same units: a last
// single row, on the one-row kernel, costs about two (its steps wait for
// their FMAs' latency).
func transCost(hw, mg, cg int, impl *gemmImpl) float64 {
	rows := hw / impl.mr * impl.mr
	switch r := hw % impl.mr; {
	case r == 1 && impl.kern.One != nil:
		rows += 2
	case r > 0:
		rows += impl.mr
	}
	return float64(rows*roundUp(mg, impl.nr)) * float64(cg+transEpilogueSteps)
}

// newTransPlan returns the transposed path's plan for depth cg, or nil
// when impl has no transposed kernel.
func newTransPlan(cg int, impl *gemmImpl) *transPlan {
	if impl.kern.Trans == nil {
		return nil
	}
	offs := make([]int, min(cg, impl.kc))
	for ch := range offs {
		offs[ch] = ch * impl.mr
	}
	return &transPlan{panelTable: simd.NewOffsets(offs)}
}

// packedWeights returns each group's Wᵀ packed for impl: those p.transW
// caches for its Conv when it is set (constant weights), else the plan's.
func (tp *transPlan) packedWeights(impl *gemmImpl, p *convProblem) []gemmOperand {
	tw := p.transW
	if tw == nil {
		tw = &tp.weights
	}
	return tw.get(impl, p)
}

// transWeights is a Conv's constant weights packed for the transposed
// path, for the kernel they were packed for.
type transWeights struct {
	mu      sync.Mutex
	impl    *gemmImpl
	weights []gemmOperand
}

// get returns the weights of p packed for impl, packing them when they
// were not yet, or were for another kernel.
func (tw *transWeights) get(impl *gemmImpl, p *convProblem) []gemmOperand {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.impl != impl {
		tw.weights, tw.impl = packTrans(impl, p), impl
	}
	return tw.weights
}

// packTrans returns each group's Wᵀ of p packed as a B operand for impl.
func packTrans(impl *gemmImpl, p *convProblem) []gemmOperand {
	cg, mg := p.c/p.group, p.m/p.group
	weights := make([]gemmOperand, 0, p.group)
	for g := range p.group {
		weights = append(weights, impl.prepackB(rowMajor(p.w[g*mg*cg:], cg, true), cg, mg))
	}
	return weights
}

// convPointwiseTrans computes a pointwise convolution transposed, image
// by image and group by group; bands of column tiles (output channels)
// split the work between threads.
func convPointwiseTrans(rc *runCtx, p *convProblem, cp *convPlan) {
	impl := cp.gemm
	b := transBodies.get()
	defer transBodies.put(b)
	b.p, b.cp, b.weights = *p, cp, cp.trans.packedWeights(impl, p)
	b.perBand, b.bands = pointwiseBands(rc, p, (p.m/p.group+impl.nr-1)/impl.nr)
	parallelRange(rc.threads, p.batch*p.group*b.bands, 1, b)
	*b = transBody{}
}

// transBody is the state of convPointwiseTrans's region: the items are
// the bands (of perBand column tiles) of each image and group.
type transBody struct {
	p              convProblem
	cp             *convPlan
	weights        []gemmOperand
	perBand, bands int
}

var transBodies freeList[transBody]

func (b *transBody) do(lo, hi int) {
	p, impl := &b.p, b.cp.gemm
	hw := p.geo.in[0] * p.geo.in[1]
	cg, mg := p.c/p.group, p.m/p.group
	var edge *[]float32
	if hw%impl.mr != 0 {
		edge = getScratch(impl.kc * impl.mr)
		defer putScratch(edge)
	}
	for t := lo; t < hi; t++ {
		prod, band := t/b.bands, t%b.bands
		img, grp := prod/p.group, prod%p.group
		j0 := band * b.perBand * impl.nr
		j1 := min(mg, j0+b.perBand*impl.nr)
		out := (img*p.m + grp*mg) * hw
		tr := transRegion{impl: impl, cp: b.cp, k: cg, hw: hw, m: mg,
			x: p.x[(img*p.c+grp*cg)*hw:], b: &b.weights[grp], y: p.y[out:], ep: p.groupEpilogue(grp)}
		if edge != nil {
			tr.edge = *edge
		}
		tr.ep.colBias, tr.ep.rowBias = tr.ep.rowBias, nil
		if p.residual != nil {
			copy(p.y[out+j0*hw:out+j1*hw], p.residual[out+j0*hw:out+j1*hw])
		}
		tr.run(j0, j1, p.residual != nil)
	}
}

// transRegion is one transposed product: Yᵀ (hw positions × m channels,
// stored as the m planes of y) = Xᵀ (x's k planes of hw) · Wᵀ (b, packed).
type transRegion struct {
	impl     *gemmImpl
	cp       *convPlan
	k, hw, m int
	x        []float32
	b        *gemmOperand
	y        []float32
	ep       gemmEpilogue
	// edge is scratch for the last row panel when hw is not a multiple of
	// mr, packed from x.
	edge []float32
}

// run computes output channels [j0, j1) (j0 a multiple of nr), adding to
// y when accumulate.
func (tr *transRegion) run(j0, j1 int, accumulate bool) {
	impl := tr.impl
	mr, nr := impl.mr, impl.nr
	full := tr.hw / mr * mr
	nPad := roundUp(tr.m, nr)
	var bias [maxTile]float32
	for pc := 0; pc < tr.k; pc += impl.kc {
		kcb := min(impl.kc, tr.k-pc)
		sep := tr.ep.simdEpilogue(1, pc > 0 || accumulate, pc+kcb >= tr.k)
		var panel []float32
		if full < tr.hw {
			panel = tr.packEdge(pc, kcb, full)
		}
		bp := tr.b.packed[pc*nPad:]
		for jr := j0; jr < j1; jr += nr {
			cols := min(nr, j1-jr)
			bpanel := bp[jr*kcb : (jr+nr)*kcb]
			ts := sep
			if ts.Flags&simd.ColBias != 0 {
				ts.Bias = tr.ep.colBias[jr:]
				if cols < nr {
					clear(bias[:nr])
					copy(bias[:cols], tr.ep.colBias[jr:jr+cols])
					ts.Bias = bias[:nr]
				}
			}
			y := tr.y[jr*tr.hw:]
			for ir := 0; ir < full; ir += mr {
				if cols == nr {
					impl.kern.Trans.TileTrans(kcb, tr.x[ir:], tr.cp.table, pc, bpanel, y[ir:], tr.hw, &ts)
					continue
				}
				tr.edgeTile(kcb, tr.x[ir:], tr.cp.table, pc, bpanel, y[ir:], mr, cols, &ts)
			}
			if panel != nil {
				tr.edgeTile(kcb, panel, tr.cp.trans.panelTable, 0, bpanel, y[full:], tr.hw-full, cols, &ts)
			}
		}
	}
	if tr.ep.post != nil {
		for j := j0; j < j1; j++ {
			row := tr.y[j*tr.hw : (j+1)*tr.hw]
			tr.ep.post(row, row)
		}
	}
}

// packEdge packs the last rows of Xᵀ, positions full on, depth steps pc
// on (kcb of them), into an mr-wide panel with zeros after them, and
// returns the whole edge buffer (a depth block long, which the panel
// table's offsets need).
func (tr *transRegion) packEdge(pc, kcb, full int) []float32 {
	mr := tr.impl.mr
	panel := tr.edge[:kcb*mr]
	clear(panel)
	n := tr.hw - full
	for q := range kcb {
		at := (pc+q)*tr.hw + full
		copy(panel[q*mr:q*mr+n], tr.x[at:at+n])
	}
	return tr.edge
}

// edgeTile computes a tile of rows×cols real elements (fewer than the
// kernel's in one direction) through a tile on the stack: A read through
// o from step p0 on, the tile stored transposed at y (leading dimension
// tr.hw). Fewer rows than mr are a packed panel (a, read through the
// panel table), a single one runs on the one-row kernel.
func (tr *transRegion) edgeTile(kcb int, a []float32, o *simd.Offsets, p0 int, bpanel, y []float32, rows, cols int, ep *simd.Epilogue) {
	mr, nr := tr.impl.mr, tr.impl.nr
	var tile [maxTile]float32
	kern := tr.impl.kern
	if rows == 1 && kern.One != nil {
		// a is the packed edge panel.
		// Row-major: column j at tile[j].
		if ep.Flags&simd.Accumulate != 0 {
			for j := range cols {
				tile[j] = y[j*tr.hw]
			}
		}
		kern.One.Tile(kcb, a, bpanel, tile[:mr*nr], nr, ep)
		for j := range cols {
			y[j*tr.hw] = tile[j]
		}
		return
	}
	// Transposed: column j at tile[j·mr:].
	if ep.Flags&simd.Accumulate != 0 {
		copyRows(tile[:], mr, y, tr.hw, cols, rows)
	}
	kern.Trans.TileTrans(kcb, a, o, p0, bpanel, tile[:mr*nr], mr, ep)
	copyRows(y, tr.hw, tile[:], mr, cols, rows)
}
