package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// tapSpec describes a vector width for the tap kernels.
type tapSpec struct {
	suffix, isa string
	lanes       int
	regs        []reg.VecPhysical
	// blockVecs is the vectors computed together: enough independent
	// accumulators to hide the FMA latency across the taps.
	blockVecs int
}

var (
	tapAVX512 = tapSpec{suffix: "AVX512", isa: "AVX-512F", lanes: 16, regs: zmm, blockVecs: 8}
	tapAVX2   = tapSpec{suffix: "AVX2", isa: "AVX2 and FMA", lanes: 8, regs: ymm, blockVecs: 4}
)

// tapKernels generates the kernels of depthwise convolution and max
// pooling over planes laid out so that every kernel tap is a shifted view
// (package native's conv_planes.go):
//
//	func tapSumS(dst *float32, n int, src *float32, offs *int, w *float32, taps int, flags int, bias, lo, hi float32)
//	func tapMaxS(dst *float32, n int, src *float32, offs *int, taps int)
//
// tapSum stores dst[i] = bias + sum over t of w[t]·src[offs[t]+i], then
// clamped to [lo, hi] when flags has the clamp bit (the GEMM flags); tapMax
// stores dst[i] = the maximum over t of src[offs[t]+i], a NaN counting only
// as the first tap. taps must be at least 1; the last n mod width values
// are computed under a mask (loads past them do not fault).
func tapKernels(mask Mem) {
	for _, s := range []tapSpec{tapAVX512, tapAVX2} {
		tapKernel(s, true, mask)
		tapKernel(s, false, mask)
	}
}

// tapMask is the table of lane masks of the AVX2 tails: the 8 values from
// offset 8-r hold r all-ones lanes, then zeros.
var tapMask = func() Mem {
	m := GLOBL("tap_mask", RODATA|NOPTR)
	for i := range 16 {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
	return m
}

// tapKernel generates tapSum (sum set) or tapMax for s: blocks of
// blockVecs vectors, then single vectors, then the tail under a mask.
func tapKernel(s tapSpec, sum bool, mask Mem) {
	g := newTapGen(s, sum)
	Label("blocks")
	CMPQ(g.n, U32(s.blockVecs*s.lanes))
	JL(LabelRef("singles"))
	g.block(s.blockVecs, "bn", false)
	JMP(LabelRef("blocks"))
	Label("singles")
	CMPQ(g.n, U32(s.lanes))
	JL(LabelRef("tail"))
	g.block(1, "b1", false)
	JMP(LabelRef("singles"))
	Label("tail")
	TESTQ(g.n, g.n)
	JZ(LabelRef("done"))
	g.tailMask(mask)
	g.block(1, "bt", true)
	Label("done")
	VZEROUPPER()
	RET()
}

// tapGen is the state of one tap kernel being generated: its spec, its
// parameters in registers and its vector registers.
type tapGen struct {
	s           tapSpec
	sum, avx512 bool
	dst, n, src reg.GPVirtual
	flags       reg.GPVirtual // tapSum only
	// acc are the accumulators of a block, x its loaded values; wv is the
	// tap's weight, lo and hi the clamp bounds, ymask the AVX2 tail mask.
	acc, x            []reg.VecPhysical
	wv, lo, hi, ymask reg.VecPhysical
}

// newTapGen starts the kernel's function and loads the parameters used
// throughout (the clamp bounds broadcast for tapSum).
func newTapGen(s tapSpec, sum bool) *tapGen {
	name := "tapMax" + s.suffix
	sig := "func(dst *float32, n int, src *float32, offs *int, taps int)"
	if sum {
		name = "tapSum" + s.suffix
		sig = "func(dst *float32, n int, src *float32, offs *int, w *float32, taps int, flags int, bias, lo, hi float32)"
	}
	TEXT(name, NOSPLIT, sig)
	Doc(fmt.Sprintf("%s is a tap kernel with %s; see tapKernels in gen/taps.go.", name, s.isa))
	Pragma("noescape")
	g := &tapGen{s: s, sum: sum, avx512: s.lanes == 16}
	g.dst = getParam("dst")
	g.n = getParam("n")
	g.src = getParam("src")
	bv := s.blockVecs
	g.acc, g.x = s.regs[:bv], s.regs[bv:2*bv]
	g.wv, g.lo, g.hi, g.ymask = s.regs[2*bv], s.regs[2*bv+1], s.regs[2*bv+2], s.regs[2*bv+3]
	if sum {
		g.flags = getParam("flags")
		VBROADCASTSS(paramAddr("lo"), g.lo)
		VBROADCASTSS(paramAddr("hi"), g.hi)
	}
	return g
}

// load reads vector v of a tap into r (masked in the tail).
func (g *tapGen) load(m Mem, r reg.VecPhysical, tail bool) {
	switch {
	case !tail:
		VMOVUPS(m, r)
	case g.avx512:
		VMOVUPS_Z(m, reg.K1, r)
	default:
		VMASKMOVPS(m, g.ymask, r)
	}
}

// block emits the computation of vecs vectors at dst and src (both
// advanced after); the tail block is one vector of the n < lanes
// remaining values, under a mask.
func (g *tapGen) block(vecs int, label string, tail bool) {
	offs := getParam("offs")
	taps := getParam("taps")
	off := GP64()
	var w reg.GPVirtual
	if g.sum {
		w = getParam("w")
		VBROADCASTSS(paramAddr("bias"), g.acc[0])
		for v := 1; v < vecs; v++ {
			VMOVAPS(g.acc[0], g.acc[v])
		}
	} else {
		g.firstTap(vecs, label, tail, offs, off, taps)
	}
	Label(label + "_tap")
	g.tap(vecs, tail, offs, off, w)
	ADDQ(U8(8), offs)
	if g.sum {
		ADDQ(U8(4), w)
	}
	DECQ(taps)
	JNZ(LabelRef(label + "_tap"))
	Label(label + "_done")
	if g.sum {
		g.clamp(vecs, label)
	}
	g.store(vecs, tail)
	if !tail {
		ADDQ(U32(vecs*g.s.lanes*4), g.dst)
		ADDQ(U32(vecs*g.s.lanes*4), g.src)
		SUBQ(U32(vecs*g.s.lanes), g.n)
	}
}

// firstTap loads tapMax's first tap into the accumulators and moves to
// the next, ending the block when it was the only one.
func (g *tapGen) firstTap(vecs int, label string, tail bool, offs, off, taps reg.GPVirtual) {
	MOVQ(Mem{Base: offs}, off)
	for v := range vecs {
		g.load(Mem{Base: g.src, Index: off, Scale: 4, Disp: v * g.s.lanes * 4}, g.acc[v], tail)
	}
	ADDQ(U8(8), offs)
	DECQ(taps)
	JZ(LabelRef(label + "_done"))
}

// tap accumulates one tap (at offset *offs, of weight *w for tapSum)
// into the block's vecs accumulators.
func (g *tapGen) tap(vecs int, tail bool, offs, off, w reg.GPVirtual) {
	MOVQ(Mem{Base: offs}, off)
	if g.sum {
		VBROADCASTSS(Mem{Base: w}, g.wv)
	}
	for v := range vecs {
		m := Mem{Base: g.src, Index: off, Scale: 4, Disp: v * g.s.lanes * 4}
		if g.sum && !tail {
			VFMADD231PS(m, g.wv, g.acc[v])
			continue
		}
		g.load(m, g.x[v], tail)
		if g.sum {
			VFMADD231PS(g.x[v], g.wv, g.acc[v])
			continue
		}
		// MAXPS returns its second source (the accumulator) when
		// either is NaN: a NaN only wins as the first tap.
		VMAXPS(g.acc[v], g.x[v], g.acc[v])
	}
}

// clamp clamps tapSum's accumulators to [lo, hi] when flags has the clamp
// bit.
func (g *tapGen) clamp(vecs int, label string) {
	TESTQ(U32(flagClamp), g.flags)
	JZ(LabelRef(label + "_store"))
	for v := range vecs {
		VMAXPS(g.acc[v], g.lo, g.acc[v])
		VMINPS(g.acc[v], g.hi, g.acc[v])
	}
	Label(label + "_store")
}

// store writes the block's accumulators to dst (masked in the tail).
func (g *tapGen) store(vecs int, tail bool) {
	for v := range vecs {
		m := Mem{Base: g.dst, Disp: v * g.s.lanes * 4}
		switch {
		case !tail:
			VMOVUPS(g.acc[v], m)
		case g.avx512:
			VMOVUPS(g.acc[v], reg.K1, m)
		default:
			VMASKMOVPS(g.acc[v], g.ymask, m)
		}
	}
}

// tailMask sets the mask of the n < lanes values left: K1 for AVX-512,
// ymask from the table mask for AVX2.
func (g *tapGen) tailMask(mask Mem) {
	if g.avx512 {
		k := GP32()
		MOVL(U32(0xffff), k)
		BZHIL(g.n.As32(), k, k)
		KMOVW(k, reg.K1)
		return
	}
	t, base := GP64(), GP64()
	MOVQ(U32(8), t)
	SUBQ(g.n, t)
	LEAQ(mask, base)
	VMOVDQU(Mem{Base: base, Index: t, Scale: 4}, g.ymask)
}

// deinterleave generates
//
//	func deinterleave2DAVX512(even *float32, lde int, odd *float32, ldo int, src *float32, lds, rows, n int)
//
// which stores even[r·lde+i] = src[r·lds+2i] and odd[r·ldo+i] =
// src[r·lds+2i+1] for r < rows, i < n (the last n mod 16 under masks): the
// two phases of rows read with a stride of 2.
func deinterleave() {
	evenIdx := GLOBL("deinterleave_even", RODATA|NOPTR)
	for i := range 16 {
		DATA(4*i, U32(2*i))
	}
	oddIdx := GLOBL("deinterleave_odd", RODATA|NOPTR)
	for i := range 16 {
		DATA(4*i, U32(2*i+1))
	}
	TEXT("deinterleave2DAVX512", NOSPLIT, "func(even *float32, lde int, odd *float32, ldo int, src *float32, lds, rows, n int)")
	Doc("deinterleave2DAVX512 splits rows into their even and odd elements; see deinterleave in gen/taps.go.")
	Pragma("noescape")
	even, odd, src := getParam("even"), getParam("odd"), getParam("src")
	lde, ldo, lds := getParam("lde"), getParam("ldo"), getParam("lds")
	rows, n := getParam("rows"), getParam("n")
	SHLQ(U8(2), lde)
	SHLQ(U8(2), ldo)
	SHLQ(U8(2), lds)
	ie, io := reg.Z4, reg.Z5
	VMOVUPS(evenIdx, ie)
	VMOVUPS(oddIdx, io)
	// Masks of the tail: K1 its n mod 16 outputs, K2 and K3 its 2·(n mod
	// 16) inputs in the two source vectors.
	rem, m := GP64(), GP64()
	MOVQ(n, rem)
	ANDQ(U8(15), rem)
	MOVL(U32(0xffff), m.As32())
	BZHIL(rem.As32(), m.As32(), m.As32())
	KMOVW(m.As32(), reg.K1)
	t := GP64()
	MOVQ(rem, t)
	SHLQ(U8(1), t)
	MOVL(U32(0xffffffff), m.As32())
	BZHIL(t.As32(), m.As32(), m.As32())
	KMOVW(m.As32(), reg.K2)
	SHRL(U8(16), m.As32())
	KMOVW(m.As32(), reg.K3)
	TESTQ(rows, rows)
	JZ(LabelRef("done"))
	Label("row")
	p, q, r, cnt := GP64(), GP64(), GP64(), GP64()
	MOVQ(even, p)
	MOVQ(odd, r)
	MOVQ(src, q)
	MOVQ(n, cnt)
	Label("loop")
	CMPQ(cnt, U8(16))
	JL(LabelRef("tail"))
	VMOVUPS(Mem{Base: q}, reg.Z0)
	VMOVAPS(reg.Z0, reg.Z1)
	// VPERMT2PS idx, second table, first table/destination.
	VPERMT2PS(Mem{Base: q, Disp: 64}, ie, reg.Z0)
	VPERMT2PS(Mem{Base: q, Disp: 64}, io, reg.Z1)
	VMOVUPS(reg.Z0, Mem{Base: p})
	VMOVUPS(reg.Z1, Mem{Base: r})
	ADDQ(U8(128), q)
	ADDQ(U8(64), p)
	ADDQ(U8(64), r)
	SUBQ(U8(16), cnt)
	JMP(LabelRef("loop"))
	Label("tail")
	TESTQ(cnt, cnt)
	JZ(LabelRef("next"))
	VMOVUPS_Z(Mem{Base: q}, reg.K2, reg.Z0)
	VMOVUPS_Z(Mem{Base: q, Disp: 64}, reg.K3, reg.Z2)
	VMOVAPS(reg.Z0, reg.Z1)
	VPERMT2PS(reg.Z2, ie, reg.Z0)
	VPERMT2PS(reg.Z2, io, reg.Z1)
	VMOVUPS(reg.Z0, reg.K1, Mem{Base: p})
	VMOVUPS(reg.Z1, reg.K1, Mem{Base: r})
	Label("next")
	ADDQ(lde, even)
	ADDQ(ldo, odd)
	ADDQ(lds, src)
	DECQ(rows)
	JNZ(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}
