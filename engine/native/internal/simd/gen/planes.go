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

func planeKernel(s tapSpec, mask Mem) {
	name := "tapPlanes" + s.suffix
	TEXT(name, NOSPLIT, "func(dst *float32, src *float32, offs *int, w, bias *float32, taps, flags, planes, rows, cols, rowSkipD, rowSkipS, planeSkipD, planeSkipS int, lo, hi float32)")
	Doc(fmt.Sprintf("%s is the depthwise plane kernel with %s; see planeKernels in gen/planes.go.", name, s.isa))
	Pragma("noescape")
	blockVecs := s.blockVecs
	acc := s.regs[:blockVecs]
	x := s.regs[blockVecs : 2*blockVecs]
	wv, lo, hi, ymask, bv := s.regs[2*blockVecs], s.regs[2*blockVecs+1], s.regs[2*blockVecs+2], s.regs[2*blockVecs+3], s.regs[2*blockVecs+4]
	avx512 := s.lanes == 16
	VBROADCASTSS(paramAddr("lo"), lo)
	VBROADCASTSS(paramAddr("hi"), hi)
	dst, src := getParam("dst"), getParam("src")
	w, bias := getParam("w"), getParam("bias")
	planes := getParam("planes")
	// The tail mask of every row, set once.
	rem := GP64()
	Load(Param("cols"), rem)
	ANDQ(U32(s.lanes-1), rem)
	if avx512 {
		k := GP32()
		MOVL(U32(0xffff), k)
		BZHIL(rem.As32(), k, k)
		KMOVW(k, reg.K1)
	} else {
		t, base := GP64(), GP64()
		MOVQ(U32(8), t)
		SUBQ(rem, t)
		LEAQ(mask, base)
		VMOVDQU(Mem{Base: base, Index: t, Scale: 4}, ymask)
	}
	load := func(m Mem, r reg.VecPhysical) {
		if avx512 {
			VMOVUPS_Z(m, reg.K1, r)
		} else {
			VMASKMOVPS(m, ymask, r)
		}
	}
	Label("plane")
	// The plane's bias, or 0.
	VXORPS(bv, bv, bv)
	f := GP64()
	Load(Param("flags"), f)
	TESTQ(U32(flagRowBias), f)
	JZ(LabelRef("rows"))
	VBROADCASTSS(Mem{Base: bias}, bv)
	Label("rows")
	rows := GP64()
	Load(Param("rows"), rows)
	Label("row")
	n := GP64()
	Load(Param("cols"), n)
	// block emits vecs vectors of outputs at dst from src (both advanced
	// after, unless tail: one vector of the n < lanes remaining values).
	block := func(vecs int, label string, tail bool) {
		offs, t, off := GP64(), GP64(), GP64()
		Load(Param("offs"), offs)
		for v := range vecs {
			VMOVAPS(bv, acc[v])
		}
		XORQ(t, t)
		Label(label + "_tap")
		MOVQ(Mem{Base: offs, Index: t, Scale: 8}, off)
		VBROADCASTSS(Mem{Base: w, Index: t, Scale: 4}, wv)
		for v := range vecs {
			m := Mem{Base: src, Index: off, Scale: 4, Disp: v * s.lanes * 4}
			if !tail {
				VFMADD231PS(m, wv, acc[v])
				continue
			}
			load(m, x[v])
			VFMADD231PS(x[v], wv, acc[v])
		}
		INCQ(t)
		CMPQ(t, paramAddr("taps"))
		JL(LabelRef(label + "_tap"))
		Load(Param("flags"), off)
		TESTQ(U32(flagClamp), off)
		JZ(LabelRef(label + "_store"))
		for v := range vecs {
			VMAXPS(acc[v], lo, acc[v])
			VMINPS(acc[v], hi, acc[v])
		}
		Label(label + "_store")
		for v := range vecs {
			m := Mem{Base: dst, Disp: v * s.lanes * 4}
			switch {
			case !tail:
				VMOVUPS(acc[v], m)
			case avx512:
				VMOVUPS(acc[v], reg.K1, m)
			default:
				VMASKMOVPS(acc[v], ymask, m)
			}
		}
		if !tail {
			ADDQ(U32(vecs*s.lanes*4), dst)
			ADDQ(U32(vecs*s.lanes*4), src)
			SUBQ(U32(vecs*s.lanes), n)
		}
	}
	// Whole vectors by blocks of blockVecs, then one block each of half,
	// a quarter, ... of that, so that a row of any width takes few passes
	// over the taps.
	Label("blocks")
	CMPQ(n, U32(blockVecs*s.lanes))
	JL(LabelRef(fmt.Sprintf("v%d", blockVecs/2)))
	block(blockVecs, "bn", false)
	JMP(LabelRef("blocks"))
	for v := blockVecs / 2; v >= 1; v /= 2 {
		Label(fmt.Sprintf("v%d", v))
		next := "tail"
		if v > 1 {
			next = fmt.Sprintf("v%d", v/2)
		}
		CMPQ(n, U32(v*s.lanes))
		JL(LabelRef(next))
		block(v, fmt.Sprintf("b%d", v), false)
	}
	Label("tail")
	TESTQ(n, n)
	JZ(LabelRef("next"))
	block(1, "bt", true)
	Label("next")
	ADDQ(paramAddr("rowSkipD"), dst)
	ADDQ(paramAddr("rowSkipS"), src)
	DECQ(rows)
	JNZ(LabelRef("row"))
	ADDQ(paramAddr("planeSkipD"), dst)
	ADDQ(paramAddr("planeSkipS"), src)
	taps := GP64()
	Load(Param("taps"), taps)
	SHLQ(U8(2), taps)
	ADDQ(taps, w)
	ADDQ(U8(4), bias)
	DECQ(planes)
	JNZ(LabelRef("plane"))
	VZEROUPPER()
	RET()
}
