package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// rowKernels generates the AVX-512 kernels that normalise consecutive
// rows of n values each, one row at a time: its whole-vector steps, then
// the last n mod 16 values under the mask K1 (the same for every row).
// Their statistics are float32 sums over 16 lanes, folded by hreduce.
//
//	func softmaxRowsAVX512(dst, src *float32, rows, n int)
//	func layerNormRowsAVX512(dst, src, gamma, beta *float32, rows, n int, eps float32)
//
// table and idx are the vector kernels' constants (vecKernels).
func rowKernels(table Mem, idx map[string]int) {
	softmaxRows(table, idx)
	layerNormRows(table, idx)
}

// rowGroup is the number of rows a row kernel's main loop normalises
// together, for independent dependency chains (a short row's reductions
// and exponential are a long chain); the rows after the last whole group
// go one at a time.
const rowGroup = 4

// rowLoop is the frame of a row kernel: the tail mask, the count of whole
// vectors per row, the loops over groups of rows and over single rows,
// and the step from group to group.
type rowLoop struct {
	name       string
	rows, full reg.GPVirtual
	stride     reg.GPVirtual // bytes per row
	ptrs       []reg.GPVirtual
}

// run emits the kernel's loops around body, which emits the work of a
// group of rows (its label prefix, the group size); ptrs are the
// pointers to the first row of each operand that moves with the rows.
// It loads rows and n and sets K1, full and stride first.
func (l *rowLoop) run(n reg.GPVirtual, body func(label string, rows int)) {
	l.rows = getParam("rows")
	k := GP32()
	MOVL(U32(0xffff), k)
	t := GP32()
	MOVL(n.As32(), t)
	ANDL(U32(15), t)
	BZHIL(t, k, k)
	KMOVW(k, reg.K1)
	l.full, l.stride = GP64(), GP64()
	MOVQ(n, l.full)
	SHRQ(U8(4), l.full)
	MOVQ(n, l.stride)
	SHLQ(U8(2), l.stride)
	for _, g := range []int{rowGroup, 1} {
		label := fmt.Sprintf("%s_g%d", l.name, g)
		Label(label)
		CMPQ(l.rows, U8(g))
		JL(LabelRef(label + "_end"))
		body(label, g)
		for _, p := range l.ptrs {
			for range g {
				ADDQ(l.stride, p)
			}
		}
		SUBQ(U8(g), l.rows)
		JMP(LabelRef(label))
		Label(label + "_end")
	}
	VZEROUPPER()
	RET()
}

// pass emits a loop over the whole vectors of a group of rows rows, then
// their masked tails: body gets, per row, the byte offset of the vector
// from the group's first row, and whether it is the tail.
func (l *rowLoop) pass(label string, rows int, body func(offs []reg.GPVirtual, tail bool)) {
	offs := make([]reg.GPVirtual, rows)
	for r := range offs {
		offs[r] = GP64()
		if r == 0 {
			XORQ(offs[r], offs[r])
		} else {
			LEAQ(Mem{Base: offs[r-1], Index: l.stride, Scale: 1}, offs[r])
		}
	}
	cnt := GP64()
	MOVQ(l.full, cnt)
	TESTQ(cnt, cnt)
	JZ(LabelRef(label + "_tail"))
	Label(label + "_loop")
	body(offs, false)
	for _, o := range offs {
		ADDQ(U8(64), o)
	}
	DECQ(cnt)
	JNZ(LabelRef(label + "_loop"))
	Label(label + "_tail")
	body(offs, true)
}

// reducePass emits a pass folding each row's vectors (from src) into its
// accumulator in accs with op (VADDPS or VMAXPS; the tail merged under
// K1), then folds each accumulator's lanes.
func (l *rowLoop) reducePass(label string, src reg.GPVirtual, op func(...Op), accs []reg.VecVirtual) {
	l.pass(label, len(accs), func(offs []reg.GPVirtual, tail bool) {
		for r, v := range accs {
			if tail {
				op(at(src, offs[r]), v, reg.K1, v)
			} else {
				op(at(src, offs[r]), v, v)
			}
		}
	})
	hreduce(op, accs)
}

// at is the vector at byte offset off from p.
func at(p, off reg.GPVirtual) Mem { return Mem{Base: p, Index: off, Scale: 1} }

// zmms returns n new vector registers.
func zmms(n int) []reg.VecVirtual {
	z := make([]reg.VecVirtual, n)
	for i := range z {
		z[i] = ZMM()
	}
	return z
}

// hreduce folds the 16 lanes of each z with op (VADDPS or VMAXPS),
// leaving the result in every lane.
func hreduce(op func(...Op), zs []reg.VecVirtual) {
	ts := zmms(len(zs))
	for _, step := range []struct {
		shuf bool
		imm  uint8
	}{{true, 0x4e}, {true, 0xb1}, {false, 0x4e}, {false, 0xb1}} {
		for i, z := range zs {
			if step.shuf {
				VSHUFF32X4(U8(step.imm), z, z, ts[i])
			} else {
				VPERMILPS(U8(step.imm), z, ts[i])
			}
		}
		for i, z := range zs {
			op(ts[i], z, z)
		}
	}
}

// softmaxRows generates softmaxRowsAVX512: per row, m = the maximum, e =
// e^(x−m) as the vector kernels' exp (stored), then e divided by the sum
// of e (times its float32 reciprocal). A NaN anywhere in a row makes its
// sum, so the whole row, NaN, as does an infinite maximum.
func softmaxRows(table Mem, idx map[string]int) {
	TEXT("softmaxRowsAVX512", NOSPLIT, "func(dst, src *float32, rows, n int)")
	Doc("softmaxRowsAVX512 is Softmax over rows of n values with AVX-512F; see softmaxRows in gen/rows.go.")
	Pragma("noescape")
	dst, src := getParam("dst"), getParam("src")
	base := GP64()
	LEAQ(table, base)
	g := &vecGen{s: vecAVX512, consts: Mem{Base: base}, idx: idx}
	sh := vecShared{lo: ZMM(), hi: ZMM()}
	VMOVUPS(g.c("explo"), sh.lo)
	VMOVUPS(g.c("exphi"), sh.hi)
	l := &rowLoop{name: "softmax", ptrs: []reg.GPVirtual{src, dst}}
	l.run(getParam("n"), func(label string, rows int) {
		m := zmms(rows)
		for _, v := range m {
			VMOVUPS(g.c("ninf"), v)
		}
		l.reducePass(label+"_max", src, VMAXPS, m)
		sum := zmms(rows)
		for _, v := range sum {
			VXORPS(v, v, v)
		}
		l.pass(label+"_exp", rows, func(offs []reg.GPVirtual, tail bool) {
			xs := zmms(rows)
			for r, x := range xs {
				if tail {
					VMOVUPS_Z(at(src, offs[r]), reg.K1, x)
				} else {
					VMOVUPS(at(src, offs[r]), x)
				}
				VSUBPS(m[r], x, x)
			}
			g.exp(xs, sh)
			for r, x := range xs {
				if tail {
					VADDPS(x, sum[r], reg.K1, sum[r])
					VMOVUPS(x, reg.K1, at(dst, offs[r]))
				} else {
					VADDPS(x, sum[r], sum[r])
					VMOVUPS(x, at(dst, offs[r]))
				}
			}
		})
		hreduce(VADDPS, sum)
		inv := zmms(rows)
		for r, v := range inv {
			VMOVUPS(g.c("one"), v)
			VDIVPS(sum[r], v, v)
		}
		l.pass(label+"_scale", rows, func(offs []reg.GPVirtual, tail bool) {
			for r, v := range inv {
				x := ZMM()
				if tail {
					VMULPS_Z(at(dst, offs[r]), v, reg.K1, x)
					VMOVUPS(x, reg.K1, at(dst, offs[r]))
				} else {
					VMULPS(at(dst, offs[r]), v, x)
					VMOVUPS(x, at(dst, offs[r]))
				}
			}
		})
	})
}

// layerNormRows generates layerNormRowsAVX512: per row, mean = Σx / n,
// inv = 1 / √(Σ(x−mean)² / n + eps), then dst = (x−mean)·inv·γ + β with
// γ and β rows of n values, each product and sum rounded apart.
func layerNormRows(table Mem, idx map[string]int) {
	TEXT("layerNormRowsAVX512", NOSPLIT, "func(dst, src, gamma, beta *float32, rows, n int, eps float32)")
	Doc("layerNormRowsAVX512 is LayerNorm over rows of n values with AVX-512F; see layerNormRows in gen/rows.go.")
	Pragma("noescape")
	dst, src := getParam("dst"), getParam("src")
	base := GP64()
	LEAQ(table, base)
	g := &vecGen{s: vecAVX512, consts: Mem{Base: base}, idx: idx}
	eps, one := ZMM(), ZMM()
	VBROADCASTSS(paramAddr("eps"), eps)
	VMOVUPS(g.c("one"), one)
	n := getParam("n")
	nf := ZMM()
	VCVTSI2SSQ(n, nf.AsX(), nf.AsX())
	VBROADCASTSS(nf.AsX(), nf)
	l := &rowLoop{name: "lnorm", ptrs: []reg.GPVirtual{src, dst}}
	l.run(n, func(label string, rows int) {
		mean := zmms(rows)
		for _, v := range mean {
			VXORPS(v, v, v)
		}
		l.reducePass(label+"_sum", src, VADDPS, mean)
		ss := zmms(rows)
		for r, v := range ss {
			VDIVPS(nf, mean[r], mean[r])
			VXORPS(v, v, v)
		}
		l.pass(label+"_var", rows, func(offs []reg.GPVirtual, tail bool) {
			for r, v := range ss {
				x := ZMM()
				if tail {
					VMOVUPS_Z(at(src, offs[r]), reg.K1, x)
					VSUBPS_Z(mean[r], x, reg.K1, x)
				} else {
					VMOVUPS(at(src, offs[r]), x)
					VSUBPS(mean[r], x, x)
				}
				VFMADD231PS(x, x, v)
			}
		})
		hreduce(VADDPS, ss)
		inv := zmms(rows)
		for r, v := range ss {
			VDIVPS(nf, v, v)
			VADDPS(eps, v, v)
			VSQRTPS(v, v)
			VDIVPS(v, one, inv[r])
		}
		layerNormOut(l, label, src, dst, mean, inv)
	})
}

// layerNormOut emits the last pass of layerNormRows, (x−mean)·inv·γ + β,
// with γ and β read from the gamma and beta parameters (the same row for
// every row: their offset is the vector's in the row, that of the first
// row of the group).
func layerNormOut(l *rowLoop, label string, src, dst reg.GPVirtual, mean, inv []reg.VecVirtual) {
	gamma, beta := getParam("gamma"), getParam("beta")
	l.pass(label+"_out", len(mean), func(offs []reg.GPVirtual, tail bool) {
		for r := range mean {
			x := ZMM()
			if tail {
				VMOVUPS_Z(at(src, offs[r]), reg.K1, x)
			} else {
				VMOVUPS(at(src, offs[r]), x)
			}
			VSUBPS(mean[r], x, x)
			VMULPS(inv[r], x, x)
			if tail {
				// γ and β end with the row: their loads masked too.
				VMULPS_Z(at(gamma, offs[0]), x, reg.K1, x)
				VADDPS_Z(at(beta, offs[0]), x, reg.K1, x)
				VMOVUPS(x, reg.K1, at(dst, offs[r]))
				continue
			}
			VMULPS(at(gamma, offs[0]), x, x)
			VADDPS(at(beta, offs[0]), x, x)
			VMOVUPS(x, at(dst, offs[r]))
		}
	})
}
