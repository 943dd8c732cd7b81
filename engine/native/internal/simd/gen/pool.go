package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// maxPool2x2 generates
//
//	func maxPool2x2AVX512(y, x *float32, groups, gstride, bpg, delta int, idx *int32)
//
// which computes 8 outputs of a 2×2 max pooling per block of 32 inputs: a
// block is the 16 values at x + g·gstride + b·16 (for group g < groups and
// block b < bpg) and the 16 values delta further, and idx holds two
// permutations of those 32 values (as VPERMT2PS indices): the first puts
// the outputs' first taps in its lower 8 lanes and their second taps in
// its upper 8, the second the third and fourth taps. The maximum is taken
// tap by tap, the accumulator the second source of MAXPS (which it returns
// when either is NaN): a NaN only wins as the first tap, as in the tap
// kernel's Max. The 8 outputs of a block are stored one after the other.
// Package simd's MaxPool2x2 sets the blocks up: rows of 2, 4 or 8 values
// hold several row pairs per block (delta 16), wider rows of a multiple of
// 16 a quarter of a row pair's taps (delta the row).
func maxPool2x2() {
	TEXT("maxPool2x2AVX512", NOSPLIT, "func(y, x *float32, groups, gstride, bpg, delta int, idx *int32)")
	Doc("maxPool2x2AVX512 computes a 2×2 max pooling of row pairs; see maxPool2x2 in gen/pool.go.")
	Pragma("noescape")
	y, x := getParam("y"), getParam("x")
	groups, gstride := getParam("groups"), getParam("gstride")
	bpg, delta, idx := getParam("bpg"), getParam("delta"), getParam("idx")
	SHLQ(U8(2), gstride)
	SHLQ(U8(2), delta)
	ia, ib := reg.Z6, reg.Z7
	VMOVDQU32(Mem{Base: idx}, ia)
	VMOVDQU32(Mem{Base: idx, Disp: 64}, ib)
	TESTQ(groups, groups)
	JZ(LabelRef("done"))
	TESTQ(bpg, bpg)
	JZ(LabelRef("done"))
	Label("group")
	p, n := GP64(), GP64()
	MOVQ(x, p)
	MOVQ(bpg, n)
	Label("block")
	// Z0 and Z2 the block's first 16 values, Z1 the second 16.
	VMOVUPS(Mem{Base: p}, reg.Z0)
	VMOVUPS(Mem{Base: p, Index: delta, Scale: 1}, reg.Z1)
	VMOVAPS(reg.Z0, reg.Z2)
	// VPERMT2PS idx, second table, first table/destination.
	VPERMT2PS(reg.Z1, ia, reg.Z0)
	VPERMT2PS(reg.Z1, ib, reg.Z2)
	acc, t := reg.Y0, reg.Y3
	VEXTRACTF64X4(U8(1), reg.Z0, t)
	VMAXPS(acc, t, acc)
	VMAXPS(acc, reg.Y2, acc)
	VEXTRACTF64X4(U8(1), reg.Z2, t)
	VMAXPS(acc, t, acc)
	VMOVUPS(acc, Mem{Base: y})
	ADDQ(U8(32), y)
	ADDQ(U8(64), p)
	DECQ(n)
	JNZ(LabelRef("block"))
	ADDQ(gstride, x)
	DECQ(groups)
	JNZ(LabelRef("group"))
	Label("done")
	VZEROUPPER()
	RET()
}
