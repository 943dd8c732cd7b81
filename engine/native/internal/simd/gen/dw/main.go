// Command dw generates the direct depthwise 3×3 kernel of package simd
// (depthwise_amd64.s) with avo. It is separate from the main generator so
// that the kernel's assembly lives in its own file; run it through go
// generate in the simd package:
//
//	go run -C gen ./dw -out ../depthwise_amd64.s -stubs ../depthwise_amd64.go -pkg simd
package main

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/buildtags"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// flagBias is the kernel's flag for a bias per plane (simd's dwBias).
const flagBias = 1

func main() {
	Constraint(buildtags.Not("purego").ToConstraint())
	stride1()
	stride2()
	Generate()
}

// dwGen holds the registers of the kernel being generated: the nine
// weights, the bias, the clamp bounds, two accumulators (two output rows)
// and the three shifted views of an input row.
type dwGen struct {
	w              [9]reg.VecPhysical
	bv, lo, hi     reg.VecPhysical
	acc            [2]reg.VecPhysical
	left, mid, rgt reg.VecPhysical
}

var g = dwGen{
	w:  [9]reg.VecPhysical{reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7, reg.Z8},
	bv: reg.Z9, lo: reg.Z10, hi: reg.Z11,
	acc:  [2]reg.VecPhysical{reg.Z12, reg.Z13},
	left: reg.Z14, mid: reg.Z15, rgt: reg.Z16,
}

// paramAddr is the stack address of a parameter.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// stride1 generates
//
//	func dw3x3s1AVX512(dst, src, zero, w, bias *float32, planes, h, wd, flags int, lo, hi float32)
//
// which computes planes depthwise 3×3 convolutions of stride 1 with one
// value of zero padding on every side, each of an h×wd plane of src (planes
// one after another) into an h×wd plane of dst: output (y, x) of plane p
// is bias[p] (with flagBias, else 0) plus the sum over i, j < 3 of
// w[9p+3i+j]·src[p, y+i-1, x+j-1], clamped to [lo, hi] (pass infinities for
// none; NaN stays NaN). The padding is not materialised: the rows above
// and below a plane are read from zero (wd zeros), and the columns left
// and right of it fall in masked-off lanes of the loads. Output rows are
// computed two at a time, 16 columns per vector, so that each input row is
// loaded once per pair of output rows.
func stride1() {
	TEXT("dw3x3s1AVX512", NOSPLIT, "func(dst, src, zero, w, bias *float32, planes, h, wd, flags int, lo, hi float32)")
	Doc("dw3x3s1AVX512 is the direct depthwise 3×3 stride-1 kernel; see stride1 in gen/dw/main.go.")
	Pragma("noescape")
	rowBytes, cur, dcur := planeStart("")
	r := GP64()
	XORQ(r, r)
	Label("pair")
	// Rows r and r+1 while r+2 <= h.
	t := GP64()
	LEAQ(Mem{Base: r, Disp: 2}, t)
	CMPQ(t, paramAddr("h"))
	JG(LabelRef("single"))
	rowPair(cur, dcur, r, rowBytes)
	LEAQ(Mem{Base: cur, Index: rowBytes, Scale: 2}, cur)
	LEAQ(Mem{Base: dcur, Index: rowBytes, Scale: 2}, dcur)
	ADDQ(U8(2), r)
	JMP(LabelRef("pair"))
	Label("single")
	CMPQ(r, paramAddr("h"))
	JGE(LabelRef("planeEnd"))
	rowSingle(cur, dcur, r, rowBytes)
	ADDQ(rowBytes, cur)
	ADDQ(rowBytes, dcur)
	Label("planeEnd")
	// The next plane starts where this one's rows ended.
	Store(cur, Param("src"))
	Store(dcur, Param("dst"))
	nextPlane()
	DECQ(paramAddr("planes"))
	JNZ(LabelRef("plane"))
	VZEROUPPER()
	RET()
}

// planeStart is both kernels' prologue and the head of their loop over
// planes (labels plane+suffix, nobias+suffix): it broadcasts the clamp
// bounds, computes the row stride in bytes, loads the plane's weights and
// bias, and returns the stride and the source and destination pointers.
func planeStart(suffix string) (rowBytes, cur, dcur reg.GPVirtual) {
	VBROADCASTSS(paramAddr("lo"), g.lo)
	VBROADCASTSS(paramAddr("hi"), g.hi)
	rowBytes = GP64()
	Load(Param("wd"), rowBytes)
	SHLQ(U8(2), rowBytes)
	Label("plane" + suffix)
	loadWeights("nobias" + suffix)
	cur, dcur = GP64(), GP64()
	Load(Param("src"), cur)
	Load(Param("dst"), dcur)
	return rowBytes, cur, dcur
}

// loadWeights broadcasts the plane's weights and its bias (or 0); nobias
// names the label that skips the bias.
func loadWeights(nobias string) {
	w := GP64()
	Load(Param("w"), w)
	for t := range 9 {
		VBROADCASTSS(Mem{Base: w, Disp: 4 * t}, g.w[t])
	}
	VXORPS(g.bv, g.bv, g.bv)
	f := GP64()
	Load(Param("flags"), f)
	TESTQ(U32(flagBias), f)
	JZ(LabelRef(nobias))
	b := GP64()
	Load(Param("bias"), b)
	VBROADCASTSS(Mem{Base: b}, g.bv)
	Label(nobias)
}

// nextPlane steps the weight and bias pointers to the next plane.
func nextPlane() {
	w := GP64()
	Load(Param("w"), w)
	ADDQ(U8(36), w)
	Store(w, Param("w"))
	b := GP64()
	Load(Param("bias"), b)
	ADDQ(U8(4), b)
	Store(b, Param("bias"))
}

// rowAbove returns the pointer of input row r-1: zero when r is 0.
func rowAbove(cur, r, rowBytes reg.GPVirtual) reg.GPVirtual {
	p := GP64()
	MOVQ(cur, p)
	SUBQ(rowBytes, p)
	z := GP64()
	Load(Param("zero"), z)
	TESTQ(r, r)
	CMOVQEQ(z, p)
	return p
}

// rowPair emits the column loop of output rows r and r+1, which read
// input rows r-1 to r+2 (the first and last may be the zero row).
func rowPair(cur, dcur, r, rowBytes reg.GPVirtual) {
	p0 := rowAbove(cur, r, rowBytes)
	p2 := GP64()
	LEAQ(Mem{Base: cur, Index: rowBytes, Scale: 1}, p2)
	p3 := GP64()
	LEAQ(Mem{Base: cur, Index: rowBytes, Scale: 2}, p3)
	t := GP64()
	LEAQ(Mem{Base: r, Disp: 3}, t)
	CMPQ(t, paramAddr("h"))
	z := GP64()
	Load(Param("zero"), z)
	CMOVQGT(z, p3)
	d1 := GP64()
	LEAQ(Mem{Base: dcur, Index: rowBytes, Scale: 1}, d1)
	columns("pc", func(cb reg.GPVirtual) {
		VMOVAPS(g.bv, g.acc[0])
		VMOVAPS(g.bv, g.acc[1])
		inputRow(p0, cb, []int{0}, []int{0})
		inputRow(cur, cb, []int{0, 1}, []int{1, 0})
		inputRow(p2, cb, []int{0, 1}, []int{2, 1})
		inputRow(p3, cb, []int{1}, []int{2})
		store(g.acc[0], dcur, cb)
		store(g.acc[1], d1, cb)
	})
}

// rowSingle emits the column loop of the last output row r when h is
// odd: it reads rows r-1 and r (row r+1 is the padding).
func rowSingle(cur, dcur, r, rowBytes reg.GPVirtual) {
	p0 := rowAbove(cur, r, rowBytes)
	columns("sc", func(cb reg.GPVirtual) {
		VMOVAPS(g.bv, g.acc[0])
		inputRow(p0, cb, []int{0}, []int{0})
		inputRow(cur, cb, []int{0}, []int{1})
		store(g.acc[0], dcur, cb)
	})
}

// columns emits the loop over the vectors of a row: cb is the byte offset
// of the vector's first column, and the masks K1 (its columns), K2 (their
// left neighbours: not the one before column 0) and K3 (their right
// neighbours: not the one after the last column) are set for body.
func columns(name string, body func(cb reg.GPVirtual)) {
	cb, rem := GP64(), GP64()
	XORQ(cb, cb)
	Load(Param("wd"), rem)
	Label(name)
	n, m := GP64(), GP64()
	MOVQ(U32(16), n)
	CMPQ(rem, n)
	CMOVQLT(rem, n)
	MOVL(U32(0xffff), m.As32())
	BZHIL(n.As32(), m.As32(), m.As32())
	KMOVW(m.As32(), reg.K1)
	TESTQ(cb, cb)
	JNZ(LabelRef(name + "_left"))
	ANDL(U32(0xfffe), m.As32())
	Label(name + "_left")
	KMOVW(m.As32(), reg.K2)
	LEAQ(Mem{Base: rem, Disp: -1}, m)
	MOVQ(U32(16), n)
	CMPQ(m, n)
	CMOVQLT(m, n)
	MOVL(U32(0xffff), m.As32())
	BZHIL(n.As32(), m.As32(), m.As32())
	KMOVW(m.As32(), reg.K3)
	body(cb)
	ADDQ(U8(64), cb)
	SUBQ(U8(16), rem)
	JG(LabelRef(name))
}

// inputRow loads the three shifted views of the input row at p and adds
// them, times weight row wrows[k], to accumulator accs[k].
func inputRow(p, cb reg.GPVirtual, accs, wrows []int) {
	VMOVUPS_Z(Mem{Base: p, Index: cb, Scale: 1, Disp: -4}, reg.K2, g.left)
	VMOVUPS_Z(Mem{Base: p, Index: cb, Scale: 1}, reg.K1, g.mid)
	VMOVUPS_Z(Mem{Base: p, Index: cb, Scale: 1, Disp: 4}, reg.K3, g.rgt)
	for k, a := range accs {
		w := g.w[3*wrows[k]:]
		VFMADD231PS(g.left, w[0], g.acc[a])
		VFMADD231PS(g.mid, w[1], g.acc[a])
		VFMADD231PS(g.rgt, w[2], g.acc[a])
	}
}

// store clamps acc and stores its columns (mask K1) at p + cb.
func store(acc reg.VecPhysical, p, cb reg.GPVirtual) {
	VMAXPS(acc, g.lo, acc)
	VMINPS(acc, g.hi, acc)
	VMOVUPS(acc, reg.K1, Mem{Base: p, Index: cb, Scale: 1})
}

// stride2 generates
//
//	func dw3x3s2AVX512(dst, src, zero, w, bias *float32, planes, h, wd, flags int, lo, hi float32)
//
// the kernel of stride 2: plane p of src is h×wd and of dst oh×ow, with
// oh = (h-1)/2+1 and ow = (wd-1)/2+1, and output (y, x) is bias[p] plus
// the sum over i, j < 3 of w[9p+3i+j]·src[p, 2y+i-1, 2x+j-1], clamped as
// in stride1. Each output row reads three input rows (the row above the
// plane and the one below it read zero); 16 outputs take the 32 input
// columns from 2x in two masked loads, split into the even and odd columns
// by permutes, and the columns before them (2x-1+2j) are the odd ones
// shifted by a lane, carrying the last one of the previous vector.
func stride2() {
	TEXT("dw3x3s2AVX512", NOSPLIT, "func(dst, src, zero, w, bias *float32, planes, h, wd, flags int, lo, hi float32)")
	Doc("dw3x3s2AVX512 is the direct depthwise 3×3 stride-2 kernel; see stride2 in gen/dw/main.go.")
	Pragma("noescape")
	idx := GLOBL("dw_deinterleave", RODATA|NOPTR)
	for i := range 32 {
		// The even columns' indices, then the odd ones' (in address
		// order, as the assembler wants).
		DATA(4*i, U32(2*i%32+i/16))
	}
	VMOVDQU32(idx, s2.even)
	VMOVDQU32(idx.Offset(64), s2.odd)
	rowBytes, cur, dcur := planeStart("2")
	r := GP64() // 2y, the input row of the middle taps
	XORQ(r, r)
	Label("row2")
	p0 := rowAbove(cur, r, rowBytes)
	p2 := GP64()
	LEAQ(Mem{Base: cur, Index: rowBytes, Scale: 1}, p2)
	t := GP64()
	LEAQ(Mem{Base: r, Disp: 1}, t)
	CMPQ(t, paramAddr("h"))
	z := GP64()
	Load(Param("zero"), z)
	CMOVQGE(z, p2)
	columns2(func(cb, ib reg.GPVirtual) {
		VMOVAPS(g.bv, g.acc[0])
		inputRow2(p0, ib, 0)
		inputRow2(cur, ib, 1)
		inputRow2(p2, ib, 2)
		store(g.acc[0], dcur, cb)
	})
	// dcur steps by ow values, cur by two rows.
	Load(Param("wd"), t)
	INCQ(t)
	SHRQ(U8(1), t)
	LEAQ(Mem{Base: dcur, Index: t, Scale: 4}, dcur)
	LEAQ(Mem{Base: cur, Index: rowBytes, Scale: 2}, cur)
	ADDQ(U8(2), r)
	CMPQ(r, paramAddr("h"))
	JL(LabelRef("row2"))
	// The next input plane starts where this one's rows ended (or one
	// row before, h odd), the next output plane at dcur.
	Load(Param("h"), t)
	ANDQ(U8(1), t)
	JZ(LabelRef("even2"))
	SUBQ(rowBytes, cur)
	Label("even2")
	Store(cur, Param("src"))
	Store(dcur, Param("dst"))
	nextPlane()
	DECQ(paramAddr("planes"))
	JNZ(LabelRef("plane2"))
	VZEROUPPER()
	RET()
}

// s2 holds the extra registers of the stride-2 kernel: the permutation
// indices of the even and odd columns, and the second vector of a load.
var s2 = struct {
	even, odd, tmp reg.VecPhysical
	prev           [3]reg.VecPhysical
}{reg.Z17, reg.Z18, reg.Z19, [3]reg.VecPhysical{reg.Z20, reg.Z21, reg.Z22}}

// columns2 emits the loop over the output vectors of a row of stride 2:
// cb is the byte offset of the vector's first output column c, ib that of
// input column 2c. It sets the masks K1 (outputs c to c+15 below ow), K2
// and K3 (input columns 2c to 2c+15 and 2c+16 to 2c+31 below wd), and
// clears the odd columns of the vector before the first (s2.prev), whose
// last is column -1, the padding.
func columns2(body func(cb, ib reg.GPVirtual)) {
	cb, ib, rem := GP64(), GP64(), GP64()
	XORQ(cb, cb)
	XORQ(ib, ib)
	for _, p := range s2.prev {
		VXORPS(p, p, p)
	}
	Load(Param("wd"), rem) // wd - 2c
	Label("cols2")
	v := GP64()
	LEAQ(Mem{Base: rem, Disp: 1}, v)
	SHRQ(U8(1), v) // ow - c = ceil((wd-2c)/2)
	laneMask(v, reg.K1)
	laneMask(rem, reg.K2)
	LEAQ(Mem{Base: rem, Disp: -16}, v)
	laneMask(v, reg.K3)
	body(cb, ib)
	ADDQ(U8(64), cb)
	ADDQ(U32(128), ib)
	SUBQ(U8(32), rem)
	JG(LabelRef("cols2"))
}

// laneMask sets k to the first max(0, min(16, n)) lanes (n signed; n is
// left as it is).
func laneMask(n reg.GPVirtual, k reg.Register) {
	t, z, m := GP64(), GP64(), GP64()
	MOVQ(U32(16), t)
	CMPQ(n, t)
	CMOVQLT(n, t)
	XORQ(z, z)
	TESTQ(t, t)
	CMOVQLT(z, t)
	MOVL(U32(0xffff), m.As32())
	BZHIL(t.As32(), m.As32(), m.As32())
	KMOVW(m.As32(), k)
}

// inputRow2 adds the taps of weight row i over the input row at p, from
// byte offset ib (input column 2c), to the accumulator: the even columns
// 2c+2j and the odd ones 2c+2j+1 are permuted out of two loads, and the
// columns 2c+2j-1 are the odd ones shifted by one lane, the first being
// the last odd column of the previous vector (s2.prev[i], then updated).
func inputRow2(p, ib reg.GPVirtual, i int) {
	VMOVUPS_Z(Mem{Base: p, Index: ib, Scale: 1}, reg.K2, g.mid)
	VMOVAPS(g.mid, g.rgt)
	VMOVUPS_Z(Mem{Base: p, Index: ib, Scale: 1, Disp: 64}, reg.K3, s2.tmp)
	VPERMT2PS(s2.tmp, s2.even, g.mid)
	VPERMT2PS(s2.tmp, s2.odd, g.rgt)
	VALIGND(U8(15), s2.prev[i], g.rgt, g.left)
	VMOVAPS(g.rgt, s2.prev[i])
	w := g.w[3*i:]
	VFMADD231PS(g.left, w[0], g.acc[0])
	VFMADD231PS(g.mid, w[1], g.acc[0])
	VFMADD231PS(g.rgt, w[2], g.acc[0])
}
