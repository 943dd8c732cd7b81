package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gather generates
//
//	func gather32AVX512(dst, src *float32, offs *int, kc int, idx *int32)
//
// which stores dst[p·32+j] = src[offs[p]+idx[j]] for p < kc, j < 32: a
// packed 32-column B panel of an implicit convolution gathered from its
// padded planes, the columns being any 32 outputs (those of the valid
// positions only, skipping the layout's garbage).
func gather() {
	TEXT("gather32AVX512", NOSPLIT, "func(dst, src *float32, offs *int, kc int, idx *int32)")
	Doc("gather32AVX512 gathers packed B panels; see gather in gen/gather.go.")
	Pragma("noescape")
	dst, src, offs := getParam("dst"), getParam("src"), getParam("offs")
	kc, idx := getParam("kc"), getParam("idx")
	i0, i1 := reg.Z0, reg.Z1
	VMOVDQU32(Mem{Base: idx}, i0)
	VMOVDQU32(Mem{Base: idx, Disp: 64}, i1)
	TESTQ(kc, kc)
	JZ(LabelRef("done"))
	base, o := GP64(), GP64()
	Label("loop")
	MOVQ(Mem{Base: offs}, o)
	LEAQ(Mem{Base: src, Index: o, Scale: 4}, base)
	KXNORW(reg.K1, reg.K1, reg.K1)
	KXNORW(reg.K2, reg.K2, reg.K2)
	// Cleared destinations: no dependency on the previous step.
	VPXORD(reg.Z2, reg.Z2, reg.Z2)
	VPXORD(reg.Z3, reg.Z3, reg.Z3)
	VGATHERDPS(Mem{Base: base, Index: i0, Scale: 4}, reg.K1, reg.Z2)
	VGATHERDPS(Mem{Base: base, Index: i1, Scale: 4}, reg.K2, reg.Z3)
	VMOVUPS(reg.Z2, Mem{Base: dst})
	VMOVUPS(reg.Z3, Mem{Base: dst, Disp: 64})
	ADDQ(U8(8), offs)
	ADDQ(U32(128), dst)
	DECQ(kc)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
