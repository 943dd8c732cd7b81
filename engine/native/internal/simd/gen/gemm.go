package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Epilogue flags of the GEMM kernels; package simd has the same values
// (simd.go), and its tests check every combination.
const (
	flagAccumulate = 1 << iota // add the tile to C instead of storing it
	flagScale                  // multiply the product by alpha
	flagRowBias                // add bias[r] to row r
	flagColBias                // add bias[j] to column j
	flagClamp                  // bound the result to [lo, hi]
)

// gemmSpec describes a register-blocked GEMM micro-kernel: mr rows of C,
// each vecs vectors of lanes floats wide.
type gemmSpec struct {
	name        string
	isa         string
	mr, vecs    int
	lanes       int
	regs        []reg.VecPhysical
	acc, b, bc  int // first register of the accumulators, B vectors, broadcasts
	nb, nbc     int // B register sets (for alternating unrolled steps), broadcast registers
	unroll      int
	prefetchOff int // bytes ahead of A to prefetch, 0 for none
	// apanel is the rows of A's packed panels when the kernel computes
	// only their first mr rows (0: mr).
	apanel int
}

// panelRows is the rows of the packed A panels the kernel reads.
func (s gemmSpec) panelRows() int { return max(s.mr, s.apanel) }

var (
	// 8 rows × 32 columns: 16 accumulators, two B vectors per depth step
	// and eight broadcasts, 16 FMAs for 10 loads.
	gemmAVX512 = gemmSpec{
		name: "gemmKernel8x32AVX512", isa: "AVX-512F", mr: 8, vecs: 2, lanes: 16, regs: zmm,
		acc: 0, b: 16, nb: 2, bc: 20, nbc: 8, unroll: 4, prefetchOff: 512,
	}
	// 6 rows × 16 columns: 12 accumulators, two B vectors and two
	// alternating broadcasts fill the 16 YMM registers.
	gemmAVX2 = gemmSpec{
		name: "gemmKernel6x16AVX2", isa: "AVX2 and FMA", mr: 6, vecs: 2, lanes: 8, regs: ymm,
		acc: 0, b: 12, nb: 1, bc: 14, nbc: 2, unroll: 4,
	}
	// The narrow kernels compute half the columns from the same packed A:
	// the last column tile of a product when at most half of it is real
	// columns (small planes), which the full kernels would compute whole.
	gemmAVX512Narrow = gemmSpec{
		name: "gemmKernel8x16AVX512", isa: "AVX-512F", mr: 8, vecs: 1, lanes: 16, regs: zmm,
		acc: 0, b: 8, nb: 2, bc: 10, nbc: 8, unroll: 4, prefetchOff: 512,
	}
	gemmAVX2Narrow = gemmSpec{
		name: "gemmKernel6x8AVX2", isa: "AVX2 and FMA", mr: 6, vecs: 1, lanes: 8, regs: ymm,
		acc: 0, b: 6, nb: 2, bc: 8, nbc: 4, unroll: 4,
	}
	// The one-row kernel computes only the first row of the 8-row panels
	// of the AVX-512 kernel (a product of one row, such as a fully
	// connected layer at batch 1): a depth step costs the latency of its
	// two independent FMAs rather than the full kernel's 16 FMAs. It adds
	// in the full kernel's order, so a row's result does not depend on
	// the rows computed with it (a batch of one gives the first row of a
	// batch of 32 bit for bit); accumulator sets, which would hide the
	// latency, would change that order.
	gemmAVX512One = gemmSpec{
		name: "gemmKernel1x32AVX512", isa: "AVX-512F", mr: 1, vecs: 2, lanes: 16, regs: zmm,
		acc: 0, b: 2, nb: 2, bc: 6, nbc: 4, unroll: 4, prefetchOff: 512, apanel: 8,
	}
)

// gemmKernel generates
//
//	func name(kc int, a, b, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)
//
// which computes the mr×nr tile P = Apanel·Bpanel over depth kc (a holds kc
// steps of mr values, b kc steps of nr values) and then, by flags: P *=
// alpha; P += C; P += bias (per row or per column); P = min(max(P, lo),
// hi); and stores P into C (row stride ldc elements).
//
// With indirect set, the function is nameIndirect, with an extra argument
// offs after b: B is not packed, and step p of the depth reads the nr
// values at b + offs[p] (an implicit im2col matrix, see package native's
// conv_implicit.go).
//
// With prefetchB (indirect only), each step also prefetches its row's values
// of the next column tile, for B rows far apart in memory (the channels of
// an image) and not in the cache: too many streams for the hardware
// prefetcher.
func gemmKernel(s gemmSpec, indirect, prefetchB bool) {
	gemmKernelB(s, kernelVariant{indirect: indirect, prefetchB: prefetchB})
}

// segWidth is the width of the B segments of the segmented kernels.
const segWidth = 8

// gemmSegmentsKernel generates
//
//	func nameSegments(kc int, a, b *float32, offs, segs *int, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)
//
// the indirect kernel whose B row is not nr contiguous values but nr/8
// segments of 8: segment g of step p is at b + offs[p] + segs[g]. The
// columns of a tile can then skip what lies between them (the garbage
// columns of package native's implicit convolution layout).
func gemmSegmentsKernel(s gemmSpec) { gemmKernelB(s, kernelVariant{indirect: true, segments: true}) }

// gemmSegmentsPanelsKernel generates
//
//	func nameSegmentsPanels(kc int, a, b *float32, offs, segs *int, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32, panels int)
//
// the segmented kernel over panels consecutive row panels of A (packed one
// after the other, as the packing lays them out): panel i computes the
// tile of rows i·mr of C, with row biases from bias + i·mr. One call then
// computes a whole column of tiles (the output channels of a small
// convolution) without returning to Go between its panels.
func gemmSegmentsPanelsKernel(s gemmSpec) {
	gemmKernelB(s, kernelVariant{indirect: true, segments: true, panels: true})
}

// gemmIndirectPanelsKernel generates nameIndirectPanels, the indirect
// kernel over panels row panels as gemmSegmentsPanelsKernel does (the
// tiles of a convolution on shifted planes, package native's
// conv_shifted.go).
func gemmIndirectPanelsKernel(s gemmSpec) {
	gemmKernelB(s, kernelVariant{indirect: true, panels: true})
}

// kernelVariant selects the form of a generated GEMM kernel: B read
// through offsets (indirect, with prefetches, or in segments), over
// several row panels of A (panels), A read through offsets and the tile
// stored transposed (trans, gemm_trans.go), or only the tile's first rows
// and masked columns stored, without an epilogue (masked), with B then
// packed or read in place, row by row under the mask (strided).
type kernelVariant struct {
	indirect, prefetchB, segments, panels, trans, masked, strided bool
}

// signature returns the kernel's name and Go signature.
func (kv kernelVariant) signature(s gemmSpec) (name, sig string) {
	name, sig = s.name, "func(kc int, a, b, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)"
	switch {
	case kv.panels && !kv.segments:
		name += "IndirectPanels"
		sig = "func(kc int, a, b *float32, offs *int, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32, panels int)"
	case kv.panels:
		name += "SegmentsPanels"
		sig = "func(kc int, a, b *float32, offs, segs *int, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32, panels int)"
	case kv.segments:
		name += "Segments"
		sig = "func(kc int, a, b *float32, offs, segs *int, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)"
	case kv.strided:
		name += "MaskedStrided"
		sig = "func(kc int, a, b *float32, ldb int, c *float32, ldc, rows, mask int)"
	case kv.masked:
		name += "Masked"
		sig = "func(kc int, a, b, c *float32, ldc, rows, mask int)"
	case kv.indirect:
		name += "Indirect"
		sig = "func(kc int, a, b *float32, offs *int, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)"
	}
	if kv.prefetchB {
		name += "Prefetch"
	}
	return name, sig
}

// gemmKernelB generates the kernels of gemmKernel and gemmSegmentsKernel.
func gemmKernelB(s gemmSpec, kv kernelVariant) {
	nr := s.vecs * s.lanes
	name, sig := kv.signature(s)
	TEXT(name, NOSPLIT, sig)
	Doc(fmt.Sprintf("%s computes a %dx%d tile of C with %s; see gemmKernel in gen/gemm.go.", name, s.mr, nr, s.isa))
	Pragma("noescape")
	g := gemmRegs{s: s, kv: kv, kc: getParam("kc"), a: getParam("a"), b: getParam("b")}
	if kv.indirect {
		g.offs = getParam("offs")
		g.off = GP64()
	}
	if kv.segments {
		// bases[seg] = b + segs[seg] floats, for segment seg.
		segs := getParam("segs")
		for seg := range nr / segWidth {
			r := GP64()
			MOVQ(Mem{Base: segs, Disp: seg * 8}, r)
			LEAQ(Mem{Base: g.b, Index: r, Scale: 4}, r)
			g.bases = append(g.bases, r)
		}
	}
	if kv.masked {
		g.loadMasks()
	}
	if kv.strided {
		g.ldb = getParam("ldb")
		SHLQ(U8(2), g.ldb)
	}
	if kv.panels {
		// The cursors of C and the row biases, and the panels left.
		g.c, g.biasCur, g.panels = getParam("c"), getParam("bias"), getParam("panels")
		Label("panel")
		Load(Param("kc"), g.kc)
		Load(Param("offs"), g.offs)
	}
	for x := range s.mr * s.vecs {
		acc := s.regs[s.acc+x]
		// VPXORD needs only AVX-512F on ZMM (VXORPS needs AVX512DQ).
		if s.lanes == 16 {
			VPXORD(acc, acc, acc)
		} else {
			VXORPS(acc, acc, acc)
		}
	}
	g.depthLoop()
	if kv.masked {
		g.maskedStore()
		return
	}
	g.epilogue()
}

// gemmMaskedKernel generates
//
//	func nameMasked(kc int, a, b, c *float32, ldc, rows, mask int)
//
// which computes the tile as gemmKernel does and stores its first rows
// rows (1 to mr), each only in the columns whose bit of mask is set (bit
// j for column j): a partial tile of a small product (package native's
// matmul_small.go) written in place, where the full kernel would write it
// to a buffer for Go to copy out.
func gemmMaskedKernel(s gemmSpec) { gemmKernelB(s, kernelVariant{masked: true}) }

// gemmMaskedStridedKernel generates
//
//	func nameMaskedStrided(kc int, a, b *float32, ldb int, c *float32, ldc, rows, mask int)
//
// the masked kernel with B not packed: step p reads the columns of mask
// of row p at b + p·ldb (zero for the others), so that a product's B
// narrower than a tile (attention's values, a head wide) is read in place.
func gemmMaskedStridedKernel(s gemmSpec) {
	gemmKernelB(s, kernelVariant{masked: true, strided: true})
}

// loadMasks loads the column mask into K1 (and K2 for the second vector).
func (g *gemmRegs) loadMasks() {
	s := g.s
	mask := getParam("mask")
	g.masks = []reg.Register{reg.K1, reg.K2}[:s.vecs]
	for v := range s.vecs {
		KMOVW(mask.As32(), g.masks[v])
		if v+1 < s.vecs {
			SHRQ(U8(s.lanes), mask)
		}
	}
}

// maskedStore emits the masked kernel's stores and the return.
func (g *gemmRegs) maskedStore() {
	s := g.s
	Label("epilogue")
	c, ldc, rows := getParam("c"), getParam("ldc"), getParam("rows")
	SHLQ(U8(2), ldc)
	masks := g.masks
	for r := range s.mr {
		if r > 0 {
			CMPQ(rows, U8(r))
			JLE(LabelRef("done"))
			ADDQ(ldc, c)
		}
		for v := range s.vecs {
			VMOVUPS(g.acc(r, v), masks[v], Mem{Base: c, Disp: v * s.lanes * 4})
		}
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// gemmRegs is the state of one kernel's generation: its spec, variant and
// the registers of its arguments.
type gemmRegs struct {
	s         gemmSpec
	kv        kernelVariant
	kc, a, b  reg.GPVirtual
	offs, off reg.GPVirtual
	bases     []reg.GPVirtual
	// next is the bytes from a B panel to the next one (kc steps on), for
	// the transposed kernel's prefetches.
	next   reg.GPVirtual
	c, ldc reg.GPVirtual
	// The panels variant: the row biases' cursor and the panels left
	// (c is then the cursor of C).
	biasCur, panels reg.GPVirtual
	// The masked variant: the column masks of the vectors; the strided
	// one: B's row stride in bytes.
	masks []reg.Register
	ldb   reg.GPVirtual
}

// acc is the accumulator of row r, vector v.
func (g *gemmRegs) acc(r, v int) reg.VecPhysical { return g.s.regs[g.s.acc+r*g.s.vecs+v] }

// loadB loads vector v of B's row for unrolled step u into dst.
func (g *gemmRegs) loadB(u, v int, dst reg.VecPhysical) {
	s, kv, nr := g.s, g.kv, g.s.vecs*g.s.lanes
	if kv.strided {
		VMOVUPS_Z(Mem{Base: g.b, Disp: v * s.lanes * 4}, g.masks[v], dst)
		if v == s.vecs-1 {
			ADDQ(g.ldb, g.b)
		}
		return
	}
	if !kv.indirect || kv.trans {
		VMOVUPS(Mem{Base: g.b, Disp: (u*nr + v*s.lanes) * 4}, dst)
		return
	}
	if v == 0 {
		MOVQ(Mem{Base: g.offs, Disp: u * 8}, g.off)
		for l := 0; kv.prefetchB && l < nr*4; l += 64 {
			PREFETCHT0(Mem{Base: g.b, Index: g.off, Scale: 4, Disp: nr*4 + l})
		}
	}
	switch {
	case kv.segments && s.lanes == 2*segWidth:
		// Two segments per vector: a 256-bit load into both halves
		// (AVX-512F, unlike a YMM load into the upper registers), then
		// the upper half replaced.
		VBROADCASTF64X4(Mem{Base: g.bases[2*v], Index: g.off, Scale: 4}, dst)
		VINSERTF64X4(U8(1), Mem{Base: g.bases[2*v+1], Index: g.off, Scale: 4}, dst, dst)
	case kv.segments:
		VMOVUPS(Mem{Base: g.bases[v], Index: g.off, Scale: 4}, dst)
	default:
		VMOVUPS(Mem{Base: g.b, Index: g.off, Scale: 4, Disp: v * s.lanes * 4}, dst)
	}
}

// step emits unrolled depth step u: B's row, then per row of A a
// broadcast and its FMAs.
func (g *gemmRegs) step(u int) {
	s := g.s
	bregs := s.regs[s.b+(u%s.nb)*s.vecs:]
	for v := range s.vecs {
		g.loadB(u, v, bregs[v])
	}
	if g.kv.trans {
		MOVQ(Mem{Base: g.offs, Disp: u * 8}, g.off)
	}
	for r := range s.mr {
		t := s.regs[s.bc+(u*s.mr+r)%s.nbc]
		a := Mem{Base: g.a, Disp: (u*s.panelRows() + r) * 4}
		if g.kv.trans {
			a = Mem{Base: g.a, Index: g.off, Scale: 4, Disp: r * 4}
		}
		VBROADCASTSS(a, t)
		for v := range s.vecs {
			VFMADD231PS(bregs[v], t, g.acc(r, v))
		}
	}
}

// advance moves A, and B or its offsets, past n depth steps.
func (g *gemmRegs) advance(n int) {
	nr := g.s.vecs * g.s.lanes
	if g.kv.trans {
		ADDQ(U32(n*nr*4), g.b)
		ADDQ(U32(n*8), g.offs)
		return
	}
	ADDQ(U32(n*g.s.panelRows()*4), g.a)
	switch {
	case g.kv.strided: // B advanced by loadB
	case g.kv.indirect && n == 1:
		ADDQ(U8(8), g.offs)
	case g.kv.indirect:
		ADDQ(U32(n*8), g.offs)
	default:
		ADDQ(U32(n*nr*4), g.b)
	}
}

// depthLoop emits the depth steps, unrolled, then the remainder.
func (g *gemmRegs) depthLoop() {
	s := g.s
	Comment("Depth steps, unrolled.")
	CMPQ(g.kc, U8(s.unroll))
	JL(LabelRef("tail"))
	Label("loop")
	if s.prefetchOff > 0 && !g.kv.trans {
		PREFETCHT0(Mem{Base: g.a, Disp: s.prefetchOff})
	}
	for l := 0; g.kv.trans && l < s.unroll*s.vecs*s.lanes*4; l += 64 {
		// The same step of the next B panel (gemm_trans.go).
		PREFETCHT0(Mem{Base: g.b, Index: g.next, Scale: 1, Disp: l})
	}
	for u := range s.unroll {
		g.step(u)
	}
	g.advance(s.unroll)
	SUBQ(U8(s.unroll), g.kc)
	CMPQ(g.kc, U8(s.unroll))
	JGE(LabelRef("loop"))
	Label("tail")
	TESTQ(g.kc, g.kc)
	JZ(LabelRef("epilogue"))
	Label("loop1")
	g.step(0)
	g.advance(1)
	DECQ(g.kc)
	JNZ(LabelRef("loop1"))
}

// each applies f to every accumulator.
func (g *gemmRegs) each(f func(x reg.VecPhysical)) {
	for r := range g.s.mr {
		for v := range g.s.vecs {
			f(g.acc(r, v))
		}
	}
}

// forRows emits body for every row, with p pointing at the row of C.
func (g *gemmRegs) forRows(body func(r int, p reg.GPVirtual)) {
	p := GP64()
	MOVQ(g.c, p)
	for r := range g.s.mr {
		body(r, p)
		if r < g.s.mr-1 {
			ADDQ(g.ldc, p)
		}
	}
}

// epilogue emits the epilogue: scale, C added, biases, clamp, store.
func (g *gemmRegs) epilogue() {
	s := g.s
	Label("epilogue")
	flags := getParam("flags")
	if !g.kv.panels {
		g.c = getParam("c")
	}
	g.ldc = getParam("ldc")
	SHLQ(U8(2), g.ldc)
	t0 := s.regs[s.b]
	skipUnless := func(flag int, label string) {
		TESTQ(U32(flag), flags)
		JZ(LabelRef(label))
	}
	skipUnless(flagScale, "noscale")
	VBROADCASTSS(paramAddr("alpha"), t0)
	g.each(func(x reg.VecPhysical) { VMULPS(t0, x, x) })
	Label("noscale")

	skipUnless(flagAccumulate, "noacc")
	g.forRows(func(r int, p reg.GPVirtual) {
		for v := range s.vecs {
			VADDPS(Mem{Base: p, Disp: v * s.lanes * 4}, g.acc(r, v), g.acc(r, v))
		}
	})
	Label("noacc")
	g.bias(flags, skipUnless)
	g.store()
}

// bias emits the row and column biases and the clamp.
func (g *gemmRegs) bias(flags reg.GPVirtual, skipUnless func(int, string)) {
	s := g.s
	t0, t1 := s.regs[s.b], s.regs[s.b+1]
	skipUnless(flagRowBias, "norowbias")
	bias := g.biasCur
	if !g.kv.panels {
		bias = getParam("bias")
	}
	for r := range s.mr {
		VBROADCASTSS(Mem{Base: bias, Disp: r * 4}, t0)
		for v := range s.vecs {
			VADDPS(t0, g.acc(r, v), g.acc(r, v))
		}
	}
	Label("norowbias")

	skipUnless(flagColBias, "nocolbias")
	bias = getParam("bias")
	for v := range s.vecs {
		VMOVUPS(Mem{Base: bias, Disp: v * s.lanes * 4}, s.regs[s.b+v])
	}
	for r := range s.mr {
		for v := range s.vecs {
			VADDPS(s.regs[s.b+v], g.acc(r, v), g.acc(r, v))
		}
	}
	Label("nocolbias")

	skipUnless(flagClamp, "store")
	VBROADCASTSS(paramAddr("lo"), t0)
	VBROADCASTSS(paramAddr("hi"), t1)
	// The accumulator is the second source of MAXPS and MINPS, the one
	// they return when an operand is NaN: NaN propagates, as in Clip.
	g.each(func(x reg.VecPhysical) { VMAXPS(x, t0, x) })
	g.each(func(x reg.VecPhysical) { VMINPS(x, t1, x) })
}

// store emits the stores of the tile and the return.
func (g *gemmRegs) store() {
	s := g.s
	Label("store")
	g.forRows(func(r int, p reg.GPVirtual) {
		for v := range s.vecs {
			VMOVUPS(g.acc(r, v), Mem{Base: p, Disp: v * s.lanes * 4})
		}
	})
	if g.kv.panels {
		// The next panel: C mr rows down, its biases mr further.
		for range s.mr {
			ADDQ(g.ldc, g.c)
		}
		ADDQ(U8(s.mr*4), g.biasCur)
		DECQ(g.panels)
		JNZ(LabelRef("panel"))
	}
	VZEROUPPER()
	RET()
}
