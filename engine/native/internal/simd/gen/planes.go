package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// planeKernels generates the depthwise convolution kernel over whole
// planes:
//
//	func tapPlanesS(dst *float32, src *float32, offs *int, w, bias *float32, taps, flags, planes, rows, cols, rowSkipD, rowSkipS, planeSkipD, planeSkipS int, lo, hi float32)
//
// For each of planes planes p and rows rows r it stores the cols values
// dst[p, r, i] = bias[p] + sum over t of w[p·taps+t]·src[p, r, offs[t]+i],
// clamped to [lo, hi] when flags has the clamp bit; bias is read only with
// the row-bias bit (else 0). Rows and planes are addressed by pointer
// steps: after a row's cols values (their whole vectors; the last cols mod
// width values are computed under a mask that is set once), dst advances
// by rowSkipD bytes and src by rowSkipS, and after a plane's rows by
// planeSkipD and planeSkipS more. Unlike the run kernel (tapSum) it writes
// the output rows in place, so a depthwise convolution needs no copy out of
// a padded run, and it takes a block of channels in one call.
func planeKernels(mask Mem) {
	for _, s := range []tapSpec{tapAVX512, tapAVX2} {
		planeKernel(s, mask)
	}
}

// planeGen holds the registers of a plane kernel being generated.
type planeGen struct {
	s                     tapSpec
	avx512                bool
	acc, x                []reg.VecPhysical
	wv, lo, hi, ymask, bv reg.VecPhysical
	dst, src, w, n        reg.GPVirtual
}

func planeKernel(s tapSpec, mask Mem) {
	name := "tapPlanes" + s.suffix
	TEXT(name, NOSPLIT, "func(dst *float32, src *float32, offs *int, w, bias *float32, taps, flags, planes, rows, cols, rowSkipD, rowSkipS, planeSkipD, planeSkipS int, lo, hi float32)")
	Doc(fmt.Sprintf("%s is the depthwise plane kernel with %s; see planeKernels in gen/planes.go.", name, s.isa))
	Pragma("noescape")
	b := s.blockVecs
	g := &planeGen{s: s, avx512: s.lanes == 16, acc: s.regs[:b], x: s.regs[b : 2*b],
		wv: s.regs[2*b], lo: s.regs[2*b+1], hi: s.regs[2*b+2], ymask: s.regs[2*b+3], bv: s.regs[2*b+4]}
	VBROADCASTSS(paramAddr("lo"), g.lo)
	VBROADCASTSS(paramAddr("hi"), g.hi)
	g.dst, g.src = getParam("dst"), getParam("src")
	g.w = getParam("w")
	bias := getParam("bias")
	planes := getParam("planes")
	g.tailMask(mask)
	Label("plane")
	// The plane's bias, or 0.
	VXORPS(g.bv, g.bv, g.bv)
	f := GP64()
	Load(Param("flags"), f)
	TESTQ(U32(flagRowBias), f)
	JZ(LabelRef("rows"))
	VBROADCASTSS(Mem{Base: bias}, g.bv)
	Label("rows")
	rows := GP64()
	Load(Param("rows"), rows)
	Label("row")
	g.n = GP64()
	Load(Param("cols"), g.n)
	g.row()
	ADDQ(paramAddr("rowSkipD"), g.dst)
	ADDQ(paramAddr("rowSkipS"), g.src)
	DECQ(rows)
	JNZ(LabelRef("row"))
	ADDQ(paramAddr("planeSkipD"), g.dst)
	ADDQ(paramAddr("planeSkipS"), g.src)
	taps := GP64()
	Load(Param("taps"), taps)
	SHLQ(U8(2), taps)
	ADDQ(taps, g.w)
	ADDQ(U8(4), bias)
	DECQ(planes)
	JNZ(LabelRef("plane"))
	VZEROUPPER()
	RET()
}

// tailMask sets the mask of the last cols mod lanes values of every row.
func (g *planeGen) tailMask(mask Mem) {
	rem := GP64()
	Load(Param("cols"), rem)
	ANDQ(U32(g.s.lanes-1), rem)
	if g.avx512 {
		k := GP32()
		MOVL(U32(0xffff), k)
		BZHIL(rem.As32(), k, k)
		KMOVW(k, reg.K1)
		return
	}
	t, base := GP64(), GP64()
	MOVQ(U32(8), t)
	SUBQ(rem, t)
	LEAQ(mask, base)
	VMOVDQU(Mem{Base: base, Index: t, Scale: 4}, g.ymask)
}

// row emits one row: whole vectors by blocks of blockVecs, then one block
// each of half, a quarter, ... of that, so that a row of any width takes
// few passes over the taps, then the masked tail.
func (g *planeGen) row() {
	s, blockVecs := g.s, g.s.blockVecs
	Label("blocks")
	CMPQ(g.n, U32(blockVecs*s.lanes))
	JL(LabelRef(fmt.Sprintf("v%d", blockVecs/2)))
	g.block(blockVecs, "bn", false)
	JMP(LabelRef("blocks"))
	for v := blockVecs / 2; v >= 1; v /= 2 {
		Label(fmt.Sprintf("v%d", v))
		next := "tail"
		if v > 1 {
			next = fmt.Sprintf("v%d", v/2)
		}
		CMPQ(g.n, U32(v*s.lanes))
		JL(LabelRef(next))
		g.block(v, fmt.Sprintf("b%d", v), false)
	}
	Label("tail")
	TESTQ(g.n, g.n)
	JZ(LabelRef("next"))
	g.block(1, "bt", true)
	Label("next")
}

// block emits vecs vectors of outputs at dst from src (both advanced
// after, unless tail: one vector of the n < lanes remaining values).
func (g *planeGen) block(vecs int, label string, tail bool) {
	s, acc := g.s, g.acc
	offs, t, off := GP64(), GP64(), GP64()
	Load(Param("offs"), offs)
	for v := range vecs {
		VMOVAPS(g.bv, acc[v])
	}
	XORQ(t, t)
	Label(label + "_tap")
	MOVQ(Mem{Base: offs, Index: t, Scale: 8}, off)
	VBROADCASTSS(Mem{Base: g.w, Index: t, Scale: 4}, g.wv)
	for v := range vecs {
		m := Mem{Base: g.src, Index: off, Scale: 4, Disp: v * s.lanes * 4}
		switch {
		case !tail:
			VFMADD231PS(m, g.wv, acc[v])
			continue
		case g.avx512:
			VMOVUPS_Z(m, reg.K1, g.x[v])
		default:
			VMASKMOVPS(m, g.ymask, g.x[v])
		}
		VFMADD231PS(g.x[v], g.wv, acc[v])
	}
	INCQ(t)
	CMPQ(t, paramAddr("taps"))
	JL(LabelRef(label + "_tap"))
	Load(Param("flags"), off)
	TESTQ(U32(flagClamp), off)
	JZ(LabelRef(label + "_store"))
	for v := range vecs {
		VMAXPS(acc[v], g.lo, acc[v])
		VMINPS(acc[v], g.hi, acc[v])
	}
	Label(label + "_store")
	for v := range vecs {
		m := Mem{Base: g.dst, Disp: v * s.lanes * 4}
		switch {
		case !tail:
			VMOVUPS(acc[v], m)
		case g.avx512:
			VMOVUPS(acc[v], reg.K1, m)
		default:
			VMASKMOVPS(acc[v], g.ymask, m)
		}
	}
	if !tail {
		ADDQ(U32(vecs*s.lanes*4), g.dst)
		ADDQ(U32(vecs*s.lanes*4), g.src)
		SUBQ(U32(vecs*s.lanes), g.n)
	}
}
