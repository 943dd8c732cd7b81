package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemmTransKernel generates
//
//	func gemmKernel8x32AVX512Trans(kc int, a *float32, offs *int, b, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)
//
// the AVX-512 kernel with the roles of the operands' layouts swapped: step
// p of the depth reads A's 8 values at a + offs[p] (in place, as
// gemmKernel's indirect form reads B) and B's packed panel of 32, and the
// 8×32 tile P is stored transposed, element (r, j) at c[j·ldc + r]. The
// epilogue is gemmKernel's (P·alpha + C + bias, clamped), with C read
// transposed and the bias per column j. A 1×1 convolution computed as
// Yᵀ = Xᵀ·Wᵀ (positions as rows, output channels as columns) then reads
// its input where it lies and writes its output planes directly: for
// planes of a few columns (7×7 is 49, two column tiles of 32 for 49 real
// ones) rows of 8 waste far less than columns of 32.
//
// The depth steps are gemmKernel's, so a tile's sums are bit for bit those
// of the untransposed product. Each step prefetches the same step of the
// next B panel (kc steps on): the weights of a layer are read once a run,
// from memory, panel after panel, and the row tiles of a panel (7 for a
// 7×7 plane) have the next one in the cache by the time they are done
// (without it, the layers gained 25% on weights in the cache and nothing
// in a model). The transposition runs per 16 columns, on
// the 8 accumulators of those columns: unpacks and shuffles within 128-bit
// lanes, then one two-table permute per pair of columns, which leaves
// column j in the low and column j+4 (or j+8 and j+12) in the high half
// of a register.
func gemmTransKernel() {
	s := gemmAVX512
	idx := GLOBL("trans_idx", RODATA|NOPTR)
	for i := range 32 {
		// Two indices: lanes 0-3 of the first table, 0-3 of the second,
		// 4-7 of the first, 4-7 of the second; then the same 8 higher.
		lane, q := i%16/4, i%4
		v := (lane/2)*4 + q + (lane%2)*16 + (i/16)*8
		DATA(4*i, U32(v))
	}
	TEXT("gemmKernel8x32AVX512Trans", NOSPLIT, "func(kc int, a *float32, offs *int, b, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)")
	Doc("gemmKernel8x32AVX512Trans computes an 8x32 tile of C, stored transposed, with AVX-512F; see gemmTransKernel in gen/gemm_trans.go.")
	Pragma("noescape")
	g := gemmRegs{s: s, kv: kernelVariant{trans: true}, kc: getParam("kc"), a: getParam("a"), b: getParam("b"), offs: getParam("offs"), off: GP64(), next: GP64()}
	MOVQ(g.kc, g.next)
	SHLQ(U8(7), g.next) // kc steps of 32 floats
	for x := range s.mr * s.vecs {
		VPXORD(s.regs[x], s.regs[x], s.regs[x])
	}
	g.depthLoop()
	transEpilogue(&g, idx)
}

// transEpilogue emits the transposed kernel's epilogue: scale, then per
// 16 columns the transposition and C, bias, clamp and store, two columns
// per register.
func transEpilogue(g *gemmRegs, idx Mem) {
	s := g.s
	Label("epilogue")
	e := transOut{g: g, idx: idx, flags: getParam("flags"), c: getParam("c"), ldc: getParam("ldc"), ldc4: GP64()}
	SHLQ(U8(2), e.ldc)
	MOVQ(e.ldc, e.ldc4)
	SHLQ(U8(2), e.ldc4)
	TESTQ(U32(flagScale), e.flags)
	JZ(LabelRef("noscale"))
	VBROADCASTSS(paramAddr("alpha"), s.regs[16])
	for x := range s.mr * s.vecs {
		VMULPS(s.regs[16], s.regs[x], s.regs[x])
	}
	Label("noscale")
	e.lo, e.hi = s.regs[30], s.regs[31]
	VBROADCASTSS(paramAddr("lo"), e.lo)
	VBROADCASTSS(paramAddr("hi"), e.hi)
	m := GP32()
	MOVL(U32(0xff00), m)
	KMOVW(m, reg.K1)
	e.bias, e.p, e.q = getParam("bias"), GP64(), GP64()
	for v := range s.vecs {
		e.vector(v)
	}
	VZEROUPPER()
	RET()
}

// transOut is the state of the transposed epilogue: the flags, C and its
// leading dimension in bytes (ldc4 four rows), the bias, the clamp bounds,
// and p and q, C's rows of the columns in progress.
type transOut struct {
	g                   *gemmRegs
	idx                 Mem
	flags, c, ldc, ldc4 reg.GPVirtual
	bias, p, q          reg.GPVirtual
	lo, hi              reg.VecPhysical
}

// vector emits the epilogue of vector v's 16 columns.
func (e *transOut) vector(v int) {
	outs := transpose8(e.g, v, e.idx)
	t := e.g.s.regs[24]
	e.each(v, "noacc", flagAccumulate, func(o int) {
		VINSERTF64X4(U8(0), e.addr(o, false), t, t)
		VINSERTF64X4(U8(1), e.addr(o, true), t, t)
		VADDPS(t, outs[o], outs[o])
	})
	e.each(v, "nocolbias", flagColBias, func(o int) {
		// outs[o] holds columns c0 (low half) and c0+4 (high half).
		c0 := 16*v + o%4 + 8*(o/4)
		VBROADCASTSS(Mem{Base: e.bias, Disp: 4 * c0}, t)
		VBROADCASTSS(Mem{Base: e.bias, Disp: 4 * (c0 + 4)}, reg.K1, t)
		VADDPS(t, outs[o], outs[o])
	})
	TESTQ(U32(flagClamp), e.flags)
	JZ(LabelRef(fmt.Sprintf("noclamp%d", v)))
	for _, o := range outs {
		// The value is the second source, returned when either is NaN:
		// NaN propagates, as in gemmKernel.
		VMAXPS(o, e.lo, o)
		VMINPS(o, e.hi, o)
	}
	Label(fmt.Sprintf("noclamp%d", v))
	e.each(v, "store", 0, func(o int) {
		VEXTRACTF64X4(U8(0), outs[o], e.addr(o, false))
		VEXTRACTF64X4(U8(1), outs[o], e.addr(o, true))
	})
}

// each emits body for the 8 registers of vector v's columns, skipped
// unless flag is set (0: always), with p at C's row of column 16v+j for
// registers j and 4+j (j < 4) and q eight rows on.
func (e *transOut) each(v int, name string, flag int, body func(o int)) {
	label := fmt.Sprintf("%s%d", name, v)
	if flag != 0 {
		TESTQ(U32(flag), e.flags)
		JZ(LabelRef(label))
	}
	MOVQ(e.c, e.p)
	for range 4 * v {
		ADDQ(e.ldc4, e.p)
	}
	for j := range 4 {
		LEAQ(Mem{Base: e.p, Index: e.ldc4, Scale: 2}, e.q)
		body(j)
		body(4 + j)
		ADDQ(e.ldc, e.p)
	}
	Label(label)
}

// addr is where register o's low (or high) half goes in C: column o%4
// (or o%4+4) from p, or o%4+8 (o%4+12) from q.
func (e *transOut) addr(o int, high bool) Mem {
	base := e.p
	if o >= 4 {
		base = e.q
	}
	if high {
		return Mem{Base: base, Index: e.ldc4, Scale: 1}
	}
	return Mem{Base: base}
}

// transpose8 transposes the 8 accumulators of vector v (rows 0-7, 16
// columns each) and returns the 8 registers holding the result: register
// o has column o%4 + 8·(o/4) of the vector in its low half and that column
// + 4 in its high half.
func transpose8(g *gemmRegs, v int, idx Mem) []reg.VecPhysical {
	s := g.s
	rows := make([]reg.VecPhysical, 8)
	for r := range rows {
		rows[r] = g.acc(r, v)
	}
	t := s.regs[16:24]
	for i := 0; i < 8; i += 2 {
		// t[i]: per 128-bit lane L, rows i and i+1 of columns 4L, 4L+1;
		// t[i+1] of columns 4L+2, 4L+3.
		VUNPCKLPS(rows[i+1], rows[i], t[i])
		VUNPCKHPS(rows[i+1], rows[i], t[i+1])
	}
	// u[j] (in rows[j]): per lane L, rows 0-3 of column 4L+j; u[4+j] rows
	// 4-7.
	for h := range 2 {
		a, b := t[4*h:], rows[4*h:]
		VSHUFPS(U8(0x44), a[2], a[0], b[0])
		VSHUFPS(U8(0xEE), a[2], a[0], b[1])
		VSHUFPS(U8(0x44), a[3], a[1], b[2])
		VSHUFPS(U8(0xEE), a[3], a[1], b[3])
	}
	outs := s.regs[16:24]
	for j := range 4 {
		VMOVUPS(idx, outs[j])
		VPERMI2PS(rows[4+j], rows[j], outs[j])
		VMOVUPS(idx.Offset(64), outs[4+j])
		VPERMI2PS(rows[4+j], rows[j], outs[4+j])
	}
	return outs
}
