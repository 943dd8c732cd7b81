package native

import (
	"slices"
	"sync/atomic"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

// convAlgo is a 2-D convolution algorithm.
type convAlgo int

const (
	algoIm2col    convAlgo = iota // packed im2col and GEMM (conv_gemm.go)
	algoImplicit                  // implicit GEMM over the tap layout (conv_implicit.go)
	algoPointwise                 // 1×1 GEMM on the input in place (conv_pointwise.go)
	algoDepthwise                 // tap kernel per channel (conv_depthwise.go)
	algoWinograd                  // Winograd F(m×m, 3×3) (conv_winograd.go)
)

// convPlan is what a 2-D convolution derives from its shapes: the
// algorithm and its tables, computed once per input shape (convSetup) so
// that steady-state runs allocate none of it.
type convPlan struct {
	algo    convAlgo
	gemm    *gemmImpl
	taps    *simd.TapKernel
	threads int
	l       *tapLayout
	// Implicit GEMM: images per chunk of planes, the stride of each phase
	// and channel in the planes buffer, the offsets of the im2col rows.
	// Pointwise: the offsets of the input channels.
	chunk, phaseStride, chStride int
	table                        *simd.Offsets
	// Depthwise: channels per block, the offsets of the taps and whether
	// rows are computed as runs (depthwiseWide).
	tapOffs []int
	wide    bool
	// Pointwise: whether the kernel prefetches the input, and the
	// transposed path's plan when it runs transposed (conv_pointwise_trans.go).
	prefetchB bool
	trans     *transPlan
	// Implicit GEMM: whether it runs segmented (conv_segments.go) or
	// gathered (conv_gather.go).
	segments, gather bool
	// Segmented: whether on shifted planes (conv_shifted.go).
	shifted bool
	// Gathered: the kernel for a narrow last column tile, or nil.
	narrow *gemmImpl
	// Winograd: the tiles and blocks.
	wino *winoPlan
	// Implicit GEMM: whether the batch is split between the threads, each
	// image computed on one (convImplicitImages), rather than the rows of
	// each chunk of images; planned then as for one thread.
	images bool
}

// newConvPlan plans p with algorithm algo and the current kernels, for runs
// on threads threads.
func newConvPlan(p *convProblem, algo convAlgo, threads int) *convPlan {
	cp := &convPlan{algo: algo, gemm: defaultGemm(), taps: defaultTaps(), l: newTapLayout(&p.geo), threads: threads}
	cg := p.c / p.group
	switch algo {
	case algoImplicit:
		cp.images = threads > 1 && p.batch >= imagesPerThread*threads
		cp.planImplicit(p, threads <= 1 || cp.images, true)
	case algoWinograd:
		cp.planWinograd(p)
	case algoPointwise:
		cp.prefetchB = pointwisePrefetch(p)
		hw := p.geo.in[0] * p.geo.in[1]
		offs := make([]int, cg)
		for ch := range offs {
			offs[ch] = ch * hw
		}
		cp.table = simd.NewOffsets(offs)
		if useTransposed(p, cp.gemm) {
			cp.trans = newTransPlan(cg, cp.gemm)
		}
	case algoDepthwise:
		l := cp.l
		if l == nil {
			break
		}
		cp.chunk = depthwiseChannels(p.c, p.batch, l.plane(), threads)
		cp.wide = depthwiseWide(l.ow, cp.taps)
		cp.phaseStride = cp.chunk*l.plane() + l.tail() + l.reach() + cp.taps.Width
		cp.tapOffs = make([]int, l.kh*l.kw)
		l.tapOffsets(cp.tapOffs, cp.phaseStride)
	}
	return cp
}

// planImplicit sets cp up for the implicit GEMM of p: segmented when
// segmented is set and the rows suit it, on shifted planes when shifted
// is also set and the strides are 1, else gathered when that pays.
func (cp *convPlan) planImplicit(p *convProblem, segmented, shifted bool) {
	l := cp.l
	cg := p.c / p.group
	taps := l.kh * l.kw
	plane := l.plane()
	// Each thread's L2 holds its share of the planes; a thread computing
	// images of its own holds them all.
	threads := max(1, cp.threads)
	if cp.images {
		threads = 1
	}
	cp.chunk = max(1, min(p.batch, planesTarget*threads/max(1, p.c*l.phases*plane)))
	cp.phaseStride = cp.chunk*plane + l.tail() + l.reach() + cp.gemm.nr
	cp.chStride = l.phases * cp.phaseStride
	offs := make([]int, cg*taps)
	l.tapOffsets(offs, cp.phaseStride)
	for ch := 1; ch < cg; ch++ {
		for t := range taps {
			offs[ch*taps+t] = ch*cp.chStride + offs[t]
		}
	}
	cp.table = simd.NewOffsets(offs)
	cp.segments = segmented && useSegments(cp.gemm, l)
	cp.shifted = false
	if cp.segments && shifted && useShifted(l) {
		cp.planShifted(p)
	}
	cp.gather = !cp.segments && useGather(cp.gemm, cp.taps, l)
	if cp.gather {
		cp.narrow = cp.gemm.narrowed()
	}
}

// chooseConvAlgo picks the algorithm expected to be fastest for p, whose
// weights are constant (packed once) when constW is set: only then can the
// transposed pointwise path run.
func chooseConvAlgo(p *convProblem, constW bool) convAlgo {
	switch {
	case p.c/p.group == 1 && p.group > 1:
		return algoDepthwise
	case usePointwise(p), constW && useTransposed(p, defaultGemm()):
		return algoPointwise
	case constW && winoTile(p, defaultGemm()) > 0:
		return algoWinograd
	case useImplicitConv(p, newTapLayout(&p.geo)):
		return algoImplicit
	}
	return algoIm2col
}

// run computes p with the plan; packed holds the group's weights packed
// for cp.gemm, or is nil.
func (cp *convPlan) run(rc *runCtx, p *convProblem, packed []gemmOperand) {
	switch cp.algo {
	case algoDepthwise:
		convDepthwise(rc, p, cp)
	case algoPointwise:
		if cp.trans != nil && packed != nil {
			convPointwiseTrans(rc, p, cp)
			return
		}
		convPointwise(rc, p, packed, cp)
	case algoImplicit:
		convImplicit(rc, p, packed, cp)
	case algoWinograd:
		if packed == nil {
			// Weights that are not the Conv's constant ones: the
			// transformed filters cached would not be theirs.
			convGemm(rc, p, nil)
			return
		}
		convWinograd(rc, p, cp)
	default:
		convGemm(rc, p, packed)
	}
}

// convSetup is a convolution's plan for one pair of input and weight
// shapes, with the resolved geometry and output shape.
type convSetup struct {
	xs, ws []int
	geo    geometry
	yShape []int
	// geo2D is geo as 2-D, for the plan.
	geo2D geometry
	// plan is nil for the N-D kernel.
	plan *convPlan
}

// convSetupSlot holds the setup of the last shapes a Conv ran with; runs
// with other shapes replace it. Fused copies of a kernel share the slot,
// and with it the transposed path's packed weights, which do not depend on
// the shapes.
type convSetupSlot struct {
	p     atomic.Pointer[convSetup]
	trans transWeights
	wino  winoWeights
}

// lookup returns the setup for the shapes when it is the cached one, made
// for the current kernels and thread count. A nil slot caches nothing.
func (s *convSetupSlot) lookup(xs, ws []int, threads int) *convSetup {
	if s == nil {
		return nil
	}
	cs := s.p.Load()
	if cs == nil || !slices.Equal(cs.xs, xs) || !slices.Equal(cs.ws, ws) ||
		cs.plan != nil && (cs.plan.gemm != defaultGemm() || cs.plan.taps != defaultTaps() || cs.plan.threads != threads) {
		return nil
	}
	return cs
}

// store caches cs (a nil slot does not).
func (s *convSetupSlot) store(cs *convSetup) {
	if s != nil {
		s.p.Store(cs)
	}
}
