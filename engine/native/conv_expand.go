package native

import (
	"slices"
	"sync/atomic"

	"github.com/inferd/inferd/engine/native/internal/simd"
	"github.com/inferd/inferd/tensor"
)

// An inverted residual's expansion (MobileNetV2): a 1×1 convolution whose
// only consumer is a depthwise 3×3 convolution. Run as two steps, the
// expanded tensor (4.8 MB an image in MobileNetV2's second block) is
// written out whole and read back by the depthwise convolution after it
// has left the cache. Fused (fuseExpandDepthwise), the pair runs in items
// of a band of output rows and a block of channels: each item expands the
// input rows its band reads into a scratch buffer that stays in the L2
// cache, and the depthwise kernel reads them there. Neighbouring bands
// share two expanded rows: a band whose band above ran before it on the
// same goroutine copies them from a carry buffer kept per channel block
// instead of expanding them again (an eighth of the expansion at
// MobileNetV2's bands of 16 rows; 3.5% of its CPU time, batch 1, one
// thread), and the first band of a goroutine's range expands them.

// expandDWMinBytes: the pair runs in bands only when one image's expanded
// tensor is larger than the L2 cache; a smaller one stays in the cache
// between the two convolutions, which then run as they would unfused.
const expandDWMinBytes = 1 << 20

// expandDWBandFloats bounds an item's expanded rows (floats, 128 KB): with
// the input rows and the depthwise output they stay in the L2 cache. On
// MobileNetV2 (one thread, batch 1, CPU time alternated in one process)
// 96 to 192 KB did the same, within 3%, and 64 KB and 256 KB about as well;
// every one of them 9–12% faster than the two steps apart.
var expandDWBandFloats = 32 << 10

// expandDWKernel is a 1×1 convolution fused with the depthwise one that
// reads its output. Its inputs are the expansion's (x, w and the bias, n1
// of them) followed by the depthwise weights and bias.
type expandDWKernel struct {
	expand, dw *convKernel
	n1         int
	setup      atomic.Pointer[expandDWSetup]
}

// expandDWSetup is what the fused pair derives from the input shape.
type expandDWSetup struct {
	xs      []int
	threads int
	gemm    *gemmImpl
	taps    *simd.TapKernel
	// fused is false when the pair runs as two steps.
	fused  bool
	yShape []int
	// c, m: input and expanded channels; h×w the input, oh×ow the
	// output planes; s the depthwise stride.
	c, m, h, w, oh, ow, s int
	table                 *simd.Offsets
	dk                    *simd.DepthwiseKernel
	// rows and chans size an item; bands and blocks count them per image.
	rows, chans, bands, blocks int
}

func (k *expandDWKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	s := k.prepare(rc, in)
	if s == nil || !s.fused {
		return k.runPair(rc, in, out)
	}
	x := in[0]
	y := rc.alloc(tensor.Float32, s.yShape)
	b := expandDWBodies.get()
	defer expandDWBodies.put(b)
	*b = expandDWBody{s: s, k: k, x: tensor.Data[float32](x), w2: tensor.Data[float32](in[k.n1]), y: tensor.Data[float32](y)}
	if k.n1 > 2 && in[2] != nil {
		b.b1 = tensor.Data[float32](in[2])
	}
	if len(in) > k.n1+1 && in[k.n1+1] != nil {
		b.b2 = tensor.Data[float32](in[k.n1+1])
	}
	parallelRange(rc.threads, s.xs[0]*s.bands*s.blocks, 1, b)
	*b = expandDWBody{}
	out[0] = y
	return nil
}

// runPair runs the two convolutions one after the other, as unfused.
func (k *expandDWKernel) runPair(rc *runCtx, in, out []*tensor.Tensor) error {
	// The operand slices come from a pool: the convolutions' out escapes.
	b := expandDWPairs.get()
	defer expandDWPairs.put(b)
	if err := k.expand.run(rc, in[:k.n1], b.mid[:]); err != nil {
		return err
	}
	b.in[0] = b.mid[0]
	n := copy(b.in[1:], in[k.n1:])
	err := k.dw.run(rc, b.in[:1+n], out)
	if rc.arena != nil {
		rc.arena.release(b.mid[0])
	}
	*b = expandDWPair{}
	return err
}

// expandDWPair holds runPair's operands.
type expandDWPair struct {
	mid [1]*tensor.Tensor
	in  [3]*tensor.Tensor
}

var expandDWPairs freeList[expandDWPair]

// prepare returns the setup for the inputs' shapes, or nil when they are
// not what the fused path takes (the convolutions then check them).
func (k *expandDWKernel) prepare(rc *runCtx, in []*tensor.Tensor) *expandDWSetup {
	x, w1, w2 := in[0], in[1], in[k.n1]
	for _, t := range in {
		if t != nil && t.DType() != tensor.Float32 {
			return nil
		}
	}
	if x == nil || w1 == nil || w2 == nil || x.Rank() != 4 || !slices.Equal(w1.Shape(), k.expand.wShape) ||
		!slices.Equal(w2.Shape(), k.dw.wShape) || len(k.expand.packed) != 1 {
		return nil
	}
	s := k.setup.Load()
	if s != nil && slices.Equal(s.xs, x.Shape()) && s.threads == rc.threads && s.gemm == defaultGemm() && s.taps == defaultTaps() {
		return s
	}
	s = k.newSetup(x.Shape(), rc.threads)
	k.setup.Store(s)
	return s
}

// newSetup plans the fused pair for input shape xs: fused when the
// expansion is a pointwise convolution with packed weights of the
// default kernel, the depthwise one has a direct kernel, and the
// expanded tensor of an image is larger than expandDWMinBytes.
func (k *expandDWKernel) newSetup(xs []int, threads int) *expandDWSetup {
	s := &expandDWSetup{xs: slices.Clone(xs), threads: threads, gemm: defaultGemm(), taps: defaultTaps()}
	ws1, ws2 := k.expand.wShape, k.dw.wShape
	if xs[1] != ws1[1] || ws2[0] != ws1[0] || k.dw.group != ws1[0] || k.expand.group != 1 || k.dw.residual || k.expand.residual {
		return s
	}
	geo1, err := k.expand.win.resolve(xs[2:], ws1[2:], false)
	if err != nil {
		return s
	}
	geo2, err := k.dw.win.resolve(geo1.out, ws2[2:], false)
	if err != nil {
		return s
	}
	p1 := convProblem{geo: geo1.as2D(), batch: xs[0], c: xs[1], m: ws1[0], group: 1}
	p2 := convProblem{geo: geo2.as2D(), batch: xs[0], c: ws1[0], m: ws1[0], group: ws1[0]}
	cp2 := newConvPlan(&p2, algoDepthwise, threads)
	s.dk = directDepthwise(&p2, cp2)
	if !isPointwise(&p1) || s.dk == nil || k.expand.packed[0].impl != s.gemm ||
		p1.m*p1.geo.in[0]*p1.geo.in[1]*4 <= expandDWMinBytes {
		return s
	}
	s.c, s.m, s.h, s.w = p1.c, p1.m, p1.geo.in[0], p1.geo.in[1]
	s.oh, s.ow, s.s = p2.geo.out[0], p2.geo.out[1], p2.geo.stride[0]
	s.yShape = []int{xs[0], s.m, s.oh, s.ow}
	s.table = newConvPlan(&p1, algoPointwise, threads).table
	s.rows, s.chans = expandDWItem(s.m, s.c, s.w, s.s, s.oh, s.gemm)
	s.bands, s.blocks = (s.oh+s.rows-1)/s.rows, (s.m+s.chans-1)/s.chans
	s.fused = true
	return s
}

// expandDWItem sizes an item: chans expanded channels (a multiple of the
// GEMM's row tile, all of them when the depth takes more than one packed
// block) for rows output rows, so that the expanded rows an item reads
// take about expandDWBandFloats.
func expandDWItem(m, c, w, s, oh int, impl *gemmImpl) (rows, chans int) {
	chans = m
	if c <= impl.kc {
		// Bands of about 16 input rows: few rows recomputed.
		chans = min(m, max(impl.mr, expandDWBandFloats/(16*w)/impl.mr*impl.mr))
	}
	hb := expandDWBandFloats / (chans * w)
	rows = max(1, min(oh, (hb-2)/s))
	return rows, chans
}

// expandDWBody is the state of the fused pair's region: the items are
// the (band, channel block) pairs of each image, band-major.
type expandDWBody struct {
	s        *expandDWSetup
	k        *expandDWKernel
	x, w2, y []float32
	b1, b2   []float32
}

var expandDWBodies freeList[expandDWBody]

func (b *expandDWBody) do(t0, t1 int) {
	s := b.s
	hbMax := s.s*s.rows + 2
	ohbMax := (hbMax-1)/s.s + 1
	carryLen := s.chans * expandDWCarryRows * s.w
	buf := getScratch(s.chans*(hbMax*s.w+ohbMax*s.ow) + s.w + s.blocks*carryLen)
	defer putScratch(buf)
	mid := (*buf)[:s.chans*hbMax*s.w]
	tmp := (*buf)[len(mid) : len(mid)+s.chans*ohbMax*s.ow]
	zero := (*buf)[len(mid)+len(tmp) : len(mid)+len(tmp)+s.w]
	carry := (*buf)[len(mid)+len(tmp)+len(zero):]
	clear(zero)
	for t := t0; t < t1; t++ {
		n, band, blk := t/(s.bands*s.blocks), t/s.blocks%s.bands, t%s.blocks
		it := expandDWTask{n: n, oy0: band * s.rows, c0: blk * s.chans, carry: carry[blk*carryLen : (blk+1)*carryLen]}
		// The band above, when this range computed it, left its last
		// expanded rows (the first of this band's) in the block's carry.
		it.kept = expandDWCarryEnabled && band > 0 && t-s.blocks >= t0
		b.item(&it, mid, tmp, zero)
	}
}

// expandDWCarryEnabled lets a band start from the rows the band above
// expanded; tests turn it off to compare.
var expandDWCarryEnabled = true

// expandDWCarryRows is the most expanded rows two neighbouring bands share:
// the depthwise kernel's reach above and below a band (one row each way
// at stride 1; at stride 2 the band starts a row early to keep the phase).
const expandDWCarryRows = 2

// expandDWTask is one item of the fused pair: output rows oy0 on of
// channels c0 on of image n, and the expanded rows it shares with its
// neighbouring bands, kept when the band above was computed before it by
// the same goroutine.
type expandDWTask struct {
	n, oy0, c0 int
	kept       bool
	carry      []float32
}

// item computes output rows it.oy0 on (s.rows of them) of channels it.c0
// on (s.chans) of image it.n: the expansion of the input rows they read
// into mid (those the band above expanded copied from the carry), the
// depthwise convolution of those into tmp (one or two rows more than the
// band at its ends, computed from the zero padding), and the band's rows
// copied out; its last expanded rows go to the carry for the band below.
func (b *expandDWBody) item(it *expandDWTask, mid, tmp, zero []float32) {
	s, dk := b.s, b.k.dw
	oy0, c0 := it.oy0, it.c0
	oy1, c1 := min(s.oh, oy0+s.rows), min(s.m, c0+s.chans)
	// The band's first input row is a multiple of the stride, so that the
	// depthwise kernel's output rows fall on the layer's.
	r0, r1 := max(0, s.s*oy0-s.s), min(s.h, s.s*(oy1-1)+2)
	hb, cols := r1-r0, (r1-r0)*s.w
	mid = mid[:(c1-c0)*cols]
	keep := 0
	if it.kept {
		keep = min(s.h, s.s*(oy0-1)+2) - r0
		copyRows(mid, cols, it.carry, expandDWCarryRows*s.w, c1-c0, keep*s.w)
	}
	b.expand(it.n, c0, c1, r0+keep, r1, mid[keep*s.w:], cols)
	clamp := dk.act != nil && dk.act.clamp
	var lo, hi float32
	if clamp {
		lo, hi = dk.act.lo, dk.act.hi
	}
	var bias []float32
	if b.b2 != nil {
		bias = b.b2[c0:c1]
	}
	ohb := (hb-1)/s.s + 1
	tmp = tmp[:(c1-c0)*ohb*s.ow]
	s.dk.Conv3x3(tmp, mid, zero, s.s, c1-c0, hb, s.w, b.w2[9*c0:9*c1], bias, clamp, lo, hi)
	if next := s.s*oy1 - s.s; oy1 < s.oh && r1 > next {
		copyRows(it.carry, expandDWCarryRows*s.w, mid[(next-r0)*s.w:], cols, c1-c0, (r1-next)*s.w)
	}
	skip := oy0 - r0/s.s
	for ch := c0; ch < c1; ch++ {
		at := ((it.n*s.m+ch)*s.oh + oy0) * s.ow
		dst := b.y[at : at+(oy1-oy0)*s.ow]
		copy(dst, tmp[((ch-c0)*ohb+skip)*s.ow:])
		if dk.act != nil && dk.act.fn != nil {
			dk.act.fn(dst, dst)
		}
	}
}

// expand computes input rows r0 to r1 of expanded channels c0 to c1 of
// image n into dst (the channels ldd apart).
func (b *expandDWBody) expand(n, c0, c1, r0, r1 int, dst []float32, ldd int) {
	s, ek := b.s, b.k.expand
	if r1 <= r0 {
		return
	}
	ep := gemmEpilogue{}
	if b.b1 != nil {
		ep.rowBias = b.b1[c0:c1]
	}
	ek.act.setEpilogue(&ep)
	a := ek.packed[0]
	if s.blocks > 1 {
		// One packed depth block (c ≤ kc): rows c0 on start at c0·c.
		a.packed = a.packed[c0*s.c:]
	}
	s.gemm.regionIndirect(c1-c0, s.c, &a, b.x[(n*s.c)*s.h*s.w+r0*s.w:], s.table, (r1-r0)*s.w, dst, ldd, false, false, &ep)
}

// describe names the fused pair for profiles: "Conv+Clip+DepthwiseConv+Clip".
func (k *expandDWKernel) describe() string {
	op := "Conv"
	if k.expand.act != nil {
		op += "+" + k.expand.act.op
	}
	op += "+DepthwiseConv"
	if k.dw.act != nil {
		op += "+" + k.dw.act.op
	}
	return op
}
