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

// copyKernel generates copy2D (or copy3D when planes) for s: the row loop
// of copyRow under the tail mask of copyTailMask, inside a loop over the
// planes for copy3D.
func copyKernel(s tapSpec, mask Mem, planes bool) {
	r := copyPrologue(s, planes)
	ymask := s.regs[8]
	copyTailMask(s, mask, r.cols, ymask)
	TESTQ(r.rows, r.rows)
	JZ(LabelRef("done"))
	if planes {
		TESTQ(r.nplanes, r.nplanes)
		JZ(LabelRef("done"))
		Label("plane")
		MOVQ(r.dst, r.pdst)
		MOVQ(r.src, r.psrc)
		Load(Param("rows"), r.rows)
	}
	Label("row")
	copyRow(s, r.dst, r.src, r.cols, ymask)
	Label("next")
	ADDQ(r.ldd, r.dst)
	ADDQ(r.lds, r.src)
	DECQ(r.rows)
	JNZ(LabelRef("row"))
	if planes {
		MOVQ(r.pdst, r.dst)
		MOVQ(r.psrc, r.src)
		ADDQ(r.ldp, r.dst)
		ADDQ(r.lsp, r.src)
		DECQ(r.nplanes)
		JNZ(LabelRef("plane"))
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// copyRegs are a copy kernel's registers: its parameters, the strides in
// bytes, and for copy3D the row pointers of the current plane (pdst, psrc).
type copyRegs struct {
	dst, src, ldd, lds, rows, cols reg.GPVirtual
	ldp, lsp, nplanes, pdst, psrc  reg.GPVirtual // copy3D only
}

// copyPrologue declares the kernel and loads its parameters, turning the
// strides from values into bytes.
func copyPrologue(s tapSpec, planes bool) copyRegs {
	name, sig := "copy2D"+s.suffix, "func(dst *float32, ldd int, src *float32, lds, rows, cols int)"
	if planes {
		name, sig = "copy3D"+s.suffix, "func(dst *float32, ldd, ldp int, src *float32, lds, lsp, planes, rows, cols int)"
	}
	TEXT(name, NOSPLIT, sig)
	Doc(fmt.Sprintf("%s is a strided copy with %s; see copyKernels in gen/copy.go.", name, s.isa))
	Pragma("noescape")
	var r copyRegs
	r.dst = getParam("dst")
	r.src = getParam("src")
	r.ldd = getParam("ldd")
	r.lds = getParam("lds")
	r.rows = getParam("rows")
	r.cols = getParam("cols")
	SHLQ(U8(2), r.ldd)
	SHLQ(U8(2), r.lds)
	if planes {
		r.ldp, r.lsp, r.nplanes = getParam("ldp"), getParam("lsp"), getParam("planes")
		SHLQ(U8(2), r.ldp)
		SHLQ(U8(2), r.lsp)
		r.pdst, r.psrc = GP64(), GP64()
	}
	return r
}

// copyTailMask loads the mask of the last cols mod lanes values of a row:
// into K1 for AVX-512, into ymask (from the table at mask) for AVX2.
func copyTailMask(s tapSpec, mask Mem, cols reg.GPVirtual, ymask reg.VecPhysical) {
	rem := GP64()
	MOVQ(cols, rem)
	ANDQ(U32(s.lanes-1), rem)
	if s.lanes == 16 {
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
	VMOVDQU(Mem{Base: base, Index: t, Scale: 4}, ymask)
}

// copyRow copies one row of cols values from src to dst: blocks of four
// vectors, then single vectors, then the masked tail.
func copyRow(s tapSpec, dst, src, cols reg.GPVirtual, ymask reg.VecPhysical) {
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
	if s.lanes == 16 {
		VMOVUPS_Z(Mem{Base: q}, reg.K1, s.regs[0])
		VMOVUPS(s.regs[0], reg.K1, Mem{Base: p})
	} else {
		VMASKMOVPS(Mem{Base: q}, ymask, s.regs[0])
		VMASKMOVPS(s.regs[0], ymask, Mem{Base: p})
	}
}
