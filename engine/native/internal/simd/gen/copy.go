package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// copyKernels generates
//
//	func copy2DS(dst *float32, ldd int, src *float32, lds, rows, cols int)
//
// which copies rows rows of cols values from src (row stride lds) to dst
// (row stride ldd), the last cols mod width values of each row under a
// mask: the strided copies between the padded layouts of the convolution
// kernels and the tensors.
//
// and
//
//	func copy3DS(dst *float32, ldd, ldp int, src *float32, lds, lsp, planes, rows, cols int)
//
// which does the same for planes planes, plane p of dst at p·ldp and of
// src at p·lsp.
func copyKernels(mask Mem) {
	for _, s := range []tapSpec{tapAVX512, tapAVX2} {
		copyKernel(s, mask, false)
		copyKernel(s, mask, true)
	}
}

func copyKernel(s tapSpec, mask Mem, planes bool) {
	name, sig := "copy2D"+s.suffix, "func(dst *float32, ldd int, src *float32, lds, rows, cols int)"
	if planes {
		name, sig = "copy3D"+s.suffix, "func(dst *float32, ldd, ldp int, src *float32, lds, lsp, planes, rows, cols int)"
	}
	TEXT(name, NOSPLIT, sig)
	Doc(fmt.Sprintf("%s is a strided copy with %s; see copyKernels in gen/copy.go.", name, s.isa))
	Pragma("noescape")
	dst := getParam("dst")
	src := getParam("src")
	ldd := getParam("ldd")
	lds := getParam("lds")
	rows := getParam("rows")
	cols := getParam("cols")
	SHLQ(U8(2), ldd)
	SHLQ(U8(2), lds)
	var ldp, lsp, nplanes, pdst, psrc reg.GPVirtual
	if planes {
		ldp, lsp, nplanes = getParam("ldp"), getParam("lsp"), getParam("planes")
		SHLQ(U8(2), ldp)
		SHLQ(U8(2), lsp)
		pdst, psrc = GP64(), GP64()
	}
	avx512 := s.lanes == 16
	ymask := s.regs[8]
	rem := GP64()
	MOVQ(cols, rem)
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
	TESTQ(rows, rows)
	JZ(LabelRef("done"))
	if planes {
		TESTQ(nplanes, nplanes)
		JZ(LabelRef("done"))
		Label("plane")
		MOVQ(dst, pdst)
		MOVQ(src, psrc)
		Load(Param("rows"), rows)
	}
	Label("row")
	p, q, n := GP64(), GP64(), GP64()
	MOVQ(dst, p)
	MOVQ(src, q)
	MOVQ(cols, n)
	Label("block")
	CMPQ(n, U32(4*s.lanes))
	JL(LabelRef("single"))
	for v := range 4 {
		VMOVUPS(Mem{Base: q, Disp: v * s.lanes * 4}, s.regs[v])
	}
	for v := range 4 {
		VMOVUPS(s.regs[v], Mem{Base: p, Disp: v * s.lanes * 4})
	}
	ADDQ(U32(4*s.lanes*4), p)
	ADDQ(U32(4*s.lanes*4), q)
	SUBQ(U32(4*s.lanes), n)
	JMP(LabelRef("block"))
	Label("single")
	CMPQ(n, U32(s.lanes))
	JL(LabelRef("tail"))
	VMOVUPS(Mem{Base: q}, s.regs[0])
	VMOVUPS(s.regs[0], Mem{Base: p})
	ADDQ(U32(s.lanes*4), p)
	ADDQ(U32(s.lanes*4), q)
	SUBQ(U32(s.lanes), n)
	JMP(LabelRef("single"))
	Label("tail")
	TESTQ(n, n)
	JZ(LabelRef("next"))
	if avx512 {
		VMOVUPS_Z(Mem{Base: q}, reg.K1, s.regs[0])
		VMOVUPS(s.regs[0], reg.K1, Mem{Base: p})
	} else {
		VMASKMOVPS(Mem{Base: q}, ymask, s.regs[0])
		VMASKMOVPS(s.regs[0], ymask, Mem{Base: p})
	}
	Label("next")
	ADDQ(ldd, dst)
	ADDQ(lds, src)
	DECQ(rows)
	JNZ(LabelRef("row"))
	if planes {
		MOVQ(pdst, dst)
		MOVQ(psrc, src)
		ADDQ(ldp, dst)
		ADDQ(lsp, src)
		DECQ(nplanes)
		JNZ(LabelRef("plane"))
	}
	Label("done")
	VZEROUPPER()
	RET()
}
