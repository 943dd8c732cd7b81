package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Operations of the vector kernels; the values are those of package simd's
// VecOp.
const (
	vecAdd = iota
	vecSub
	vecMul
	vecDiv
	vecExp
	vecErf
	vecTanh
	vecSigmoid
	vecSiLU
	vecOps
)

// vecSpec describes a vector width for the vector kernels.
type vecSpec struct {
	suffix, isa string
	lanes       int
	// blockVecs is the vectors computed together, to hide the latency of
	// the polynomial chains.
	blockVecs int
}

var (
	vecAVX512 = vecSpec{suffix: "AVX512", isa: "AVX-512F", lanes: 16, blockVecs: 4}
	vecAVX2   = vecSpec{suffix: "AVX2", isa: "AVX2 and FMA", lanes: 8, blockVecs: 2}
)

// Constants of the functions, each stored as 16 equal lanes.
var vecConstValues = []struct {
	name string
	v    float32
}{
	{"log2e", 1.44269504088896341}, {"half", 0.5}, {"one", 1},
	{"ln2hi", 0.693359375}, {"ln2lo", 2.12194440e-4},
	{"ep0", 1.9875691500e-4}, {"ep1", 1.3981999507e-3}, {"ep2", 8.3334519073e-3},
	{"ep3", 4.1665795894e-2}, {"ep4", 1.6666665459e-1}, {"ep5", 5.0000001201e-1},
	{"explo", -87.5}, {"exphi", 88.8}, {"expzero", -87.33654},
	{"erflo", -4}, {"erfhi", 4},
	{"ea0", -2.72614225801306e-10}, {"ea1", 2.77068142495902e-08}, {"ea2", -2.10102402082508e-06},
	{"ea3", -5.69250639462346e-05}, {"ea4", -7.34990630326855e-04}, {"ea5", -2.95459980854025e-03},
	{"ea6", -1.60960333262415e-02},
	{"eb0", -1.45660718464996e-05}, {"eb1", -2.13374055278905e-04}, {"eb2", -1.68282697438203e-03},
	{"eb3", -7.37332916720468e-03}, {"eb4", -1.42647390514189e-02},
	{"tlo", -7.90531110763549805}, {"thi", 7.90531110763549805},
	{"ta13", -2.76076847742355e-16}, {"ta11", 2.00018790482477e-13}, {"ta9", -8.60467152213735e-11},
	{"ta7", 5.12229709037114e-08}, {"ta5", 1.48572235717979e-05}, {"ta3", 6.37261928875436e-04},
	{"ta1", 4.89352455891786e-03},
	{"tb6", 1.19825839466702e-06}, {"tb4", 1.18534705686654e-04}, {"tb2", 2.26843463243900e-03},
	{"tb0", 4.89352518554385e-03},
	{"ninf", float32(math.Inf(-1))},
}

// vecGen emits the kernels of one width.
type vecGen struct {
	s      vecSpec
	consts Mem // base register set by the kernel's prologue
	idx    map[string]int
	ymask  reg.VecVirtual
}

// c is the memory operand of a constant.
func (g *vecGen) c(name string) Mem {
	i, ok := g.idx[name]
	if !ok {
		panic("vec: no constant " + name)
	}
	m := g.consts
	m.Disp = i * 64
	return m
}

func (g *vecGen) vreg() reg.VecVirtual {
	if g.s.lanes == 16 {
		return ZMM()
	}
	return YMM()
}

// vecKernels generates
//
//	func vecS(op int, dst, a, b *float32, n int, s float32)
//
// which stores dst[i] = a[i] op b[i] for the arithmetic operations,
// e^(a[i]+s) for exp and f(a[i]) for the other functions (b unused), n
// values, the last n mod width under a mask. The functions are the
// float32 approximations of package native (Cephes' expf; the rational
// erf and tanh of Eigen and XLA), keeping NaN. It returns the table of
// constants and the index of each in it, for the row kernels (rowKernels).
func vecKernels(mask Mem) (Mem, map[string]int) {
	table := GLOBL("vec_consts", RODATA|NOPTR)
	idx := map[string]int{}
	for i, c := range vecConstValues {
		idx[c.name] = i
		for l := range 16 {
			DATA(64*i+4*l, U32(math.Float32bits(c.v)))
		}
	}
	idx["i127"] = len(vecConstValues)
	for l := range 16 {
		DATA(64*len(vecConstValues)+4*l, U32(127))
	}
	for _, s := range []vecSpec{vecAVX512, vecAVX2} {
		vecKernel(s, table, idx, mask)
	}
	return table, idx
}

func vecKernel(s vecSpec, table Mem, idx map[string]int, mask Mem) {
	name := "vec" + s.suffix
	TEXT(name, NOSPLIT, "func(op int, dst, a, b *float32, n int, s float32)")
	Doc(fmt.Sprintf("%s is the vector kernel with %s; see vecKernels in gen/vec.go.", name, s.isa))
	Pragma("noescape")
	op := getParam("op")
	base := GP64()
	LEAQ(table, base)
	g := &vecGen{s: s, consts: Mem{Base: base}, idx: idx}
	for o := range vecOps {
		CMPQ(op, U8(o))
		JEQ(LabelRef(fmt.Sprintf("op%d", o)))
	}
	RET()
	for o := range vecOps {
		g.loop(o, mask)
	}
}

// loop emits the loop of operation o.
func (g *vecGen) loop(o int, mask Mem) {
	p := fmt.Sprintf("op%d", o)
	Label(p)
	dst, a, n := getParam("dst"), getParam("a"), getParam("n")
	var b reg.GPVirtual
	if o < vecExp {
		b = getParam("b")
	}
	lanes, avx512 := g.s.lanes, g.s.lanes == 16
	shared := g.prologue(o)
	block := func(vecs int, label string, tail bool) {
		xs := make([]reg.VecVirtual, vecs)
		ys := make([]reg.VecVirtual, vecs)
		for v := range vecs {
			xs[v] = g.vreg()
			g.load(Mem{Base: a, Disp: v * lanes * 4}, xs[v], tail)
			if o < vecExp {
				ys[v] = g.vreg()
				g.load(Mem{Base: b, Disp: v * lanes * 4}, ys[v], tail)
			}
		}
		g.body(o, xs, ys, shared)
		for v := range vecs {
			m := Mem{Base: dst, Disp: v * lanes * 4}
			switch {
			case !tail:
				VMOVUPS(xs[v], m)
			case avx512:
				VMOVUPS(xs[v], reg.K1, m)
			default:
				VMASKMOVPS(xs[v], g.ymask, m)
			}
		}
		if !tail {
			ADDQ(U32(vecs*lanes*4), dst)
			ADDQ(U32(vecs*lanes*4), a)
			if o < vecExp {
				ADDQ(U32(vecs*lanes*4), b)
			}
			SUBQ(U32(vecs*lanes), n)
		}
	}
	Label(p + "_blocks")
	CMPQ(n, U32(g.s.blockVecs*lanes))
	JL(LabelRef(p + "_singles"))
	block(g.s.blockVecs, p+"_bn", false)
	JMP(LabelRef(p + "_blocks"))
	Label(p + "_singles")
	CMPQ(n, U32(lanes))
	JL(LabelRef(p + "_tail"))
	block(1, p+"_b1", false)
	JMP(LabelRef(p + "_singles"))
	Label(p + "_tail")
	TESTQ(n, n)
	JZ(LabelRef(p + "_done"))
	if avx512 {
		k := GP32()
		MOVL(U32(0xffff), k)
		BZHIL(n.As32(), k, k)
		KMOVW(k, reg.K1)
	} else {
		t, mb := GP64(), GP64()
		MOVQ(U32(8), t)
		SUBQ(n, t)
		LEAQ(mask, mb)
		g.ymask = YMM()
		VMOVDQU(Mem{Base: mb, Index: t, Scale: 4}, g.ymask)
	}
	block(1, p+"_bt", true)
	Label(p + "_done")
	VZEROUPPER()
	RET()
}

// load reads a vector into r (masked in the tail).
func (g *vecGen) load(m Mem, r reg.VecVirtual, tail bool) {
	switch {
	case !tail:
		VMOVUPS(m, r)
	case g.s.lanes == 16:
		VMOVUPS_Z(m, reg.K1, r)
	default:
		VMASKMOVPS(m, g.ymask, r)
	}
}

// vecShared holds the registers an operation loads once before its loop.
type vecShared struct {
	s, lo, hi, one reg.VecVirtual
}

func (g *vecGen) prologue(o int) vecShared {
	var sh vecShared
	bounds := func(lo, hi string) {
		sh.lo, sh.hi = g.vreg(), g.vreg()
		VMOVUPS(g.c(lo), sh.lo)
		VMOVUPS(g.c(hi), sh.hi)
	}
	switch o {
	case vecExp, vecSigmoid, vecSiLU:
		sh.s = g.vreg()
		VBROADCASTSS(paramAddr("s"), sh.s)
		bounds("explo", "exphi")
		if o != vecExp {
			sh.one = g.vreg()
			VMOVUPS(g.c("one"), sh.one)
		}
	case vecErf:
		bounds("erflo", "erfhi")
	case vecTanh:
		bounds("tlo", "thi")
	}
	return sh
}

// body computes the operation over xs (and ys), leaving the results in xs.
func (g *vecGen) body(o int, xs, ys []reg.VecVirtual, sh vecShared) {
	switch o {
	case vecAdd:
		for v, x := range xs {
			VADDPS(ys[v], x, x)
		}
	case vecSub:
		for v, x := range xs {
			VSUBPS(ys[v], x, x)
		}
	case vecMul:
		for v, x := range xs {
			VMULPS(ys[v], x, x)
		}
	case vecDiv:
		for v, x := range xs {
			VDIVPS(ys[v], x, x)
		}
	case vecExp:
		for _, x := range xs {
			VADDPS(sh.s, x, x)
		}
		g.exp(xs, sh)
	case vecSigmoid:
		g.sigmoid(xs, sh)
	case vecSiLU:
		// x · sigmoid(x), the product rounded as when the two run apart.
		orig := make([]reg.VecVirtual, len(xs))
		for v, x := range xs {
			orig[v] = g.vreg()
			VMOVUPS(x, orig[v])
		}
		g.sigmoid(xs, sh)
		for v, x := range xs {
			VMULPS(x, orig[v], x)
		}
	case vecErf:
		g.rational(xs, sh, []string{"ea0", "ea1", "ea2", "ea3", "ea4", "ea5", "ea6"},
			[]string{"eb0", "eb1", "eb2", "eb3", "eb4"})
	case vecTanh:
		g.rational(xs, sh, []string{"ta13", "ta11", "ta9", "ta7", "ta5", "ta3", "ta1"},
			[]string{"tb6", "tb4", "tb2", "tb0"})
	}
}

// sigmoid computes 1 / (1 + e^−x) over xs.
func (g *vecGen) sigmoid(xs []reg.VecVirtual, sh vecShared) {
	for _, x := range xs {
		VSUBPS(x, sh.s, x) // s is 0: x = -x
	}
	g.exp(xs, sh)
	for _, x := range xs {
		VADDPS(sh.one, x, x)
		VDIVPS(x, sh.one, x)
	}
}

// clamp bounds every x to [lo, hi], keeping NaN (MAXPS and MINPS return
// their second source, the x, when either is NaN).
func (g *vecGen) clamp(xs []reg.VecVirtual, sh vecShared) {
	for _, x := range xs {
		VMAXPS(x, sh.lo, x)
		VMINPS(x, sh.hi, x)
	}
}

// poly sets each p to the polynomial with coefficients cs (highest first)
// at the matching z.
func (g *vecGen) poly(ps, zs []reg.VecVirtual, cs []string) {
	for _, p := range ps {
		VMOVUPS(g.c(cs[0]), p)
	}
	for _, c := range cs[1:] {
		for v, p := range ps {
			VFMADD213PS(g.c(c), zs[v], p)
		}
	}
}

// rational sets x = x·P(x²)/Q(x²) after clamping x: erf and tanh.
func (g *vecGen) rational(xs []reg.VecVirtual, sh vecShared, pc, qc []string) {
	g.clamp(xs, sh)
	n := len(xs)
	x2, p, q := g.regs(n), g.regs(n), g.regs(n)
	for v, x := range xs {
		VMULPS(x, x, x2[v])
	}
	g.poly(p, x2, pc)
	g.poly(q, x2, qc)
	for v, x := range xs {
		VMULPS(p[v], x, x)
		VDIVPS(q[v], x, x)
	}
}

func (g *vecGen) regs(n int) []reg.VecVirtual {
	r := make([]reg.VecVirtual, n)
	for i := range r {
		r[i] = g.vreg()
	}
	return r
}

// exp sets x = e^x as package native's exp32: n = ⌊x·log2e + ½⌋, r = x −
// n·ln2 in two parts, e^r by a polynomial, times 2^n as two factors (n
// reaches 128); 0 below −87.33654, +Inf above 88.72.
func (g *vecGen) exp(xs []reg.VecVirtual, sh vecShared) {
	g.clamp(xs, sh)
	k := len(xs)
	nf, r, p, t := g.regs(k), g.regs(k), g.regs(k), g.regs(k)
	for v, x := range xs {
		VMULPS(g.c("log2e"), x, nf[v])
		VADDPS(g.c("half"), nf[v], nf[v])
		if g.s.lanes == 16 {
			VRNDSCALEPS(U8(9), nf[v], nf[v])
		} else {
			VROUNDPS(U8(9), nf[v], nf[v])
		}
		VMOVAPS(x, r[v])
		VFNMADD231PS(g.c("ln2hi"), nf[v], r[v])
		VFMADD231PS(g.c("ln2lo"), nf[v], r[v])
	}
	g.poly(p, r, []string{"ep0", "ep1", "ep2", "ep3", "ep4", "ep5"})
	for v := range xs {
		VMULPS(r[v], r[v], t[v])
		VFMADD213PS(r[v], t[v], p[v])
		VADDPS(g.c("one"), p[v], p[v])
	}
	n1, n2 := t, nf
	for v := range xs {
		VCVTPS2DQ(nf[v], n2[v])
		VPSRAD(U8(1), n2[v], n1[v])
		VPSUBD(n1[v], n2[v], n2[v])
		VPADDD(g.c("i127"), n1[v], n1[v])
		VPADDD(g.c("i127"), n2[v], n2[v])
		VPSLLD(U8(23), n1[v], n1[v])
		VPSLLD(U8(23), n2[v], n2[v])
		VMULPS(n1[v], p[v], p[v])
		VMULPS(n2[v], p[v], p[v])
	}
	// Zero below the normal range: keep where x is not less than the
	// bound (NaN compares unordered, so it is kept).
	for v, x := range xs {
		if g.s.lanes == 16 {
			VCMPPS(U8(5), g.c("expzero"), x, reg.K2)
			VMOVAPS_Z(p[v], reg.K2, x)
		} else {
			VCMPPS(U8(5), g.c("expzero"), x, r[v])
			VANDPS(r[v], p[v], x)
		}
	}
}
