package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// winoKind is a Winograd transform: Y = C·X·Cᵀ with C of o×a; the
// matrices are those of package simd's winoMatrices, in the same order.
type winoKind struct {
	name string
	c    [][]float32
}

var winoKinds = []winoKind{
	{"winoInput2AVX512", [][]float32{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}}},
	{"winoInput4AVX512", [][]float32{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	}},
	{"winoOutput2AVX512", [][]float32{{1, 1, 1, 0}, {0, 1, -1, -1}}},
	{"winoOutput4AVX512", [][]float32{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	}},
}

// winoKernels generates, for each transform of winoKinds,
//
//	func NAME(dst *float32, do *int, src *float32, so *int, n int)
//
// which computes, for each of n lanes t, Y = C·X·Cᵀ where X is a×a with
// element (i, j) at src[so[i·a+j]+t], and stores element (k, l) of Y (o×o)
// at dst[do[k·o+l]+t]: the columns of X are transformed into a stack
// buffer, then its rows into dst, 16 lanes at a time, the last n mod 16
// under a mask. The coefficients are the generator's constants: zeros are
// skipped, ±1 are additions and subtractions, the others broadcast once.
func winoKernels() {
	for _, k := range winoKinds {
		winoKernel(k)
	}
}

func winoKernel(k winoKind) {
	TEXT(k.name, 0, "func(dst *float32, do *int, src *float32, so *int, n int)")
	Doc(k.name + " computes a Winograd transform of lanes; see winoKernels in gen/wino.go.")
	Pragma("noescape")
	o, a := len(k.c), len(k.c[0])
	dst, do, src, so, n := getParam("dst"), getParam("do"), getParam("src"), getParam("so"), getParam("n")
	t := AllocLocal(o * a * 64)
	consts := map[float32]reg.VecVirtual{}
	for _, row := range k.c {
		for _, c := range row {
			if _, ok := consts[c]; ok || c == 0 || c == 1 || c == -1 {
				continue
			}
			g, z := GP32(), ZMM()
			MOVL(U32(math.Float32bits(c)), g)
			VPBROADCASTD(g, z)
			consts[c] = z
		}
	}
	zero := ZMM()
	VPXORD(zero, zero, zero)
	TESTQ(n, n)
	JLE(LabelRef("done"))
	Label("block")
	m := GP32()
	MOVL(U32(0xffff), m)
	CMPQ(n, U8(16))
	JAE(LabelRef("full"))
	BZHIL(n.As32(), m, m)
	Label("full")
	KMOVW(m, reg.K1)
	xs := make([]reg.VecVirtual, a)
	for j := range a { // columns: t = C·X
		for i := range a {
			xs[i] = winoLoad(src, so, i*a+j)
		}
		for r := range o {
			VMOVUPS(winoComb(k.c[r], xs, consts, zero), t.Offset((r*a+j)*64))
		}
	}
	for r := range o { // rows: Y = t·Cᵀ
		for j := range a {
			xs[j] = ZMM()
			VMOVUPS(t.Offset((r*a+j)*64), xs[j])
		}
		for l := range o {
			off := GP64()
			MOVQ(Mem{Base: do, Disp: 8 * (r*o + l)}, off)
			VMOVUPS(winoComb(k.c[l], xs, consts, zero), reg.K1, Mem{Base: dst, Index: off, Scale: 4})
		}
	}
	ADDQ(U32(64), src)
	ADDQ(U32(64), dst)
	SUBQ(U8(16), n)
	JG(LabelRef("block"))
	Label("done")
	VZEROUPPER()
	RET()
}

// winoLoad loads the 16 lanes (zero under the mask K1) of element e of X.
func winoLoad(src, so reg.GPVirtual, e int) reg.VecVirtual {
	off, x := GP64(), ZMM()
	MOVQ(Mem{Base: so, Disp: 8 * e}, off)
	VMOVUPS_Z(Mem{Base: src, Index: off, Scale: 4}, reg.K1, x)
	return x
}

// winoComb returns a register holding Σ coefs[i]·xs[i].
func winoComb(coefs []float32, xs []reg.VecVirtual, consts map[float32]reg.VecVirtual, zero reg.VecVirtual) reg.VecVirtual {
	acc := ZMM()
	first := true
	for i, c := range coefs {
		switch {
		case c == 0:
			continue
		case first && c == 1:
			VMOVAPS(xs[i], acc)
		case first && c == -1:
			VSUBPS(xs[i], zero, acc)
		case first:
			VMULPS(consts[c], xs[i], acc)
		case c == 1:
			VADDPS(xs[i], acc, acc)
		case c == -1:
			VSUBPS(xs[i], acc, acc)
		default:
			VFMADD231PS(consts[c], xs[i], acc)
		}
		first = false
	}
	if first {
		panic(fmt.Sprintf("wino: a row of zeros in %v", coefs))
	}
	return acc
}
