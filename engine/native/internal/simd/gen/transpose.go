package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// transposeRows8 generates
//
//	func transpose8AVX512(dst *float32, ldd int, src *float32, lds, k, n int)
//
// which writes dst[p·ldd + r] = src[r·lds + p] for r < n and 0 for
// n <= r < 8, for p < k: the transpose of n (1 to 8) rows of k values, as
// a GEMM packs a panel of a row-major A (ldd 8) or half a panel of a
// transposed B (ldd 16). Blocks of 8×8 are transposed in registers; the
// last k mod 8 columns are loaded under a mask (AVX-512F), and only their
// rows of the transpose stored. The rows past n read row 0 again, and
// their lanes are zeroed before the stores.
func transposeRows8() {
	TEXT("transpose8AVX512", NOSPLIT, "func(dst *float32, ldd int, src *float32, lds, k, n int)")
	Doc("transpose8AVX512 transposes 8 rows with AVX and AVX-512F; see transposeRows8 in gen/transpose.go.")
	Pragma("noescape")
	dst, ldd, src, lds, k, n := getParam("dst"), getParam("ldd"), getParam("src"), getParam("lds"), getParam("k"), getParam("n")
	SHLQ(U8(2), ldd)
	SHLQ(U8(2), lds)
	rows := make([]reg.GPVirtual, 8)
	next := GP64()
	MOVQ(src, next)
	for r := range rows {
		rows[r] = GP64()
		MOVQ(src, rows[r])
		if r > 0 {
			LEAQ(Mem{Base: next, Index: lds, Scale: 1}, next)
			CMPQ(n, U8(r))
			CMOVQGT(next, rows[r]) // row r when r < n, else row 0
		}
	}
	m := GP32()
	MOVL(U32(0xff), m)
	BZHIL(n.As32(), m, m)
	KMOVW(m, reg.K2) // the lanes of the rows below n
	in, out := ymm[:8], ymm[8:16]
	Label("block")
	CMPQ(k, U8(8))
	JL(LabelRef("tail"))
	for r := range rows {
		VMOVUPS(Mem{Base: rows[r]}, in[r])
		ADDQ(U8(32), rows[r])
	}
	transpose8x8(in, out)
	for q := range out {
		zeroRows(out[q])
		VMOVUPS(out[q], Mem{Base: dst})
		ADDQ(ldd, dst)
	}
	SUBQ(U8(8), k)
	JMP(LabelRef("block"))

	Label("tail")
	TESTQ(k, k)
	JZ(LabelRef("done"))
	MOVL(U32(0xff), m)
	BZHIL(k.As32(), m, m)
	KMOVW(m, reg.K1)
	for r := range rows {
		VMOVUPS_Z(Mem{Base: rows[r]}, reg.K1, zmm[r])
	}
	transpose8x8(in, out)
	for q := range out {
		zeroRows(out[q])
		VMOVUPS(out[q], Mem{Base: dst})
		if q < len(out)-1 {
			DECQ(k)
			JZ(LabelRef("done"))
			ADDQ(ldd, dst)
		}
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// zeroRows zeroes the lanes of x (a column of the transpose) of the rows
// past n: those not in K2.
func zeroRows(x reg.VecPhysical) {
	z := zmm[x.PhysicalIndex()]
	VMOVUPS_Z(z, reg.K2, z)
}

// transpose8x8 transposes the 8×8 block in rows in (YMM 0-7) into out
// (YMM 8-15): out[q] is column q. It clobbers in.
func transpose8x8(in, out []reg.VecPhysical) {
	t, s := out, in // t in out's registers, then s in in's
	for i := 0; i < 8; i += 2 {
		VUNPCKLPS(in[i+1], in[i], t[i])   // a0 b0 a1 b1 | a4 b4 a5 b5
		VUNPCKHPS(in[i+1], in[i], t[i+1]) // a2 b2 a3 b3 | a6 b6 a7 b7
	}
	for h := 0; h < 8; h += 4 {
		// Rows h..h+3: columns 0 to 3 (4 to 7 in the high lanes).
		VSHUFPS(U8(0x44), t[h+2], t[h], s[h])
		VSHUFPS(U8(0xEE), t[h+2], t[h], s[h+1])
		VSHUFPS(U8(0x44), t[h+3], t[h+1], s[h+2])
		VSHUFPS(U8(0xEE), t[h+3], t[h+1], s[h+3])
	}
	for q := range 4 {
		VPERM2F128(U8(0x20), s[4+q], s[q], out[q])
		VPERM2F128(U8(0x31), s[4+q], s[q], out[4+q])
	}
}
