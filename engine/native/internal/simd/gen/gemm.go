package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Epilogue flags of the GEMM kernels; package simd has the same values
// (simd.go), and its tests check every combination.
const (
	flagAccumulate = 1 << iota // add the tile to C instead of storing it
	flagScale                  // multiply the product by alpha
	flagRowBias                // add bias[r] to row r
	flagColBias                // add bias[j] to column j
	flagClamp                  // bound the result to [lo, hi]
)

// gemmSpec describes a register-blocked GEMM micro-kernel: mr rows of C,
// each vecs vectors of lanes floats wide.
type gemmSpec struct {
	name        string
	isa         string
	mr, vecs    int
	lanes       int
	regs        []reg.VecPhysical
	acc, b, bc  int // first register of the accumulators, B vectors, broadcasts
	nb, nbc     int // B register sets (for alternating unrolled steps), broadcast registers
	unroll      int
	prefetchOff int // bytes ahead of A to prefetch, 0 for none
}

var (
	// 8 rows × 32 columns: 16 accumulators, two B vectors per depth step
	// and eight broadcasts, 16 FMAs for 10 loads.
	gemmAVX512 = gemmSpec{
		name: "gemmKernel8x32AVX512", isa: "AVX-512F", mr: 8, vecs: 2, lanes: 16, regs: zmm,
		acc: 0, b: 16, nb: 2, bc: 20, nbc: 8, unroll: 4, prefetchOff: 512,
	}
	// 6 rows × 16 columns: 12 accumulators, two B vectors and two
	// alternating broadcasts fill the 16 YMM registers.
	gemmAVX2 = gemmSpec{
		name: "gemmKernel6x16AVX2", isa: "AVX2 and FMA", mr: 6, vecs: 2, lanes: 8, regs: ymm,
		acc: 0, b: 12, nb: 1, bc: 14, nbc: 2, unroll: 4,
	}
	// The narrow kernels compute half the columns from the same packed A:
	// the last column tile of a product when at most half of it is real
	// columns (small planes), which the full kernels would compute whole.
	gemmAVX512Narrow = gemmSpec{
		name: "gemmKernel8x16AVX512", isa: "AVX-512F", mr: 8, vecs: 1, lanes: 16, regs: zmm,
		acc: 0, b: 8, nb: 2, bc: 10, nbc: 8, unroll: 4, prefetchOff: 512,
	}
	gemmAVX2Narrow = gemmSpec{
		name: "gemmKernel6x8AVX2", isa: "AVX2 and FMA", mr: 6, vecs: 1, lanes: 8, regs: ymm,
		acc: 0, b: 6, nb: 2, bc: 8, nbc: 4, unroll: 4,
	}
)

// gemmKernel generates
//
//	func name(kc int, a, b, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)
//
// which computes the mr×nr tile P = Apanel·Bpanel over depth kc (a holds kc
// steps of mr values, b kc steps of nr values) and then, by flags: P *=
// alpha; P += C; P += bias (per row or per column); P = min(max(P, lo),
// hi); and stores P into C (row stride ldc elements).
//
// With indirect set, the function is nameIndirect, with an extra argument
// offs after b: B is not packed, and step p of the depth reads the nr
// values at b + offs[p] (an implicit im2col matrix, see package native's
// conv_implicit.go).
//
// With prefetchB (indirect only), each step also prefetches its row's values
// of the next column tile, for B rows far apart in memory (the channels of
// an image) and not in the cache: too many streams for the hardware
// prefetcher.
func gemmKernel(s gemmSpec, indirect, prefetchB bool) {
	gemmKernelB(s, indirect, prefetchB, false)
}

// segWidth is the width of the B segments of the segmented kernels.
const segWidth = 8

// gemmSegmentsKernel generates
//
//	func nameSegments(kc int, a, b *float32, offs, segs *int, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)
//
// the indirect kernel whose B row is not nr contiguous values but nr/8
// segments of 8: segment g of step p is at b + offs[p] + segs[g]. The
// columns of a tile can then skip what lies between them (the garbage
// columns of package native's implicit convolution layout).
func gemmSegmentsKernel(s gemmSpec) { gemmKernelB(s, true, false, true) }

// gemmKernelB generates gemmKernel's kernels and, with segments set,
// gemmSegmentsKernel's.
func gemmKernelB(s gemmSpec, indirect, prefetchB, segments bool) {
	nr := s.vecs * s.lanes
	name, sig := s.name, "func(kc int, a, b, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)"
	if indirect {
		name += "Indirect"
		sig = "func(kc int, a, b *float32, offs *int, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)"
	}
	if segments {
		name = s.name + "Segments"
		sig = "func(kc int, a, b *float32, offs, segs *int, c *float32, ldc, flags int, alpha float32, bias *float32, lo, hi float32)"
	}
	if prefetchB {
		name += "Prefetch"
	}
	TEXT(name, NOSPLIT, sig)
	Doc(fmt.Sprintf("%s computes a %dx%d tile of C with %s; see gemmKernel in gen/gemm.go.", name, s.mr, nr, s.isa))
	Pragma("noescape")
	kc := getParam("kc")
	a := getParam("a")
	b := getParam("b")
	var offs, off reg.GPVirtual
	if indirect {
		offs = getParam("offs")
		off = GP64()
	}
	// bases[g] = b + segs[g] floats, for segment g.
	var bases []reg.GPVirtual
	if segments {
		segs := getParam("segs")
		for g := range nr / segWidth {
			r := GP64()
			MOVQ(Mem{Base: segs, Disp: g * 8}, r)
			LEAQ(Mem{Base: b, Index: r, Scale: 4}, r)
			bases = append(bases, r)
		}
	}
	acc := func(r, v int) reg.VecPhysical { return s.regs[s.acc+r*s.vecs+v] }
	for r := range s.mr {
		for v := range s.vecs {
			// VPXORD needs only AVX-512F on ZMM (VXORPS needs AVX512DQ).
			if s.lanes == 16 {
				VPXORD(acc(r, v), acc(r, v), acc(r, v))
			} else {
				VXORPS(acc(r, v), acc(r, v), acc(r, v))
			}
		}
	}
	step := func(u int) {
		bregs := s.regs[s.b+(u%s.nb)*s.vecs:]
		for v := range s.vecs {
			if indirect {
				if v == 0 {
					MOVQ(Mem{Base: offs, Disp: u * 8}, off)
					for l := 0; prefetchB && l < nr*4; l += 64 {
						PREFETCHT0(Mem{Base: b, Index: off, Scale: 4, Disp: nr*4 + l})
					}
				}
				switch {
				case segments && s.lanes == 2*segWidth:
					// Two segments per vector: a 256-bit load into both
					// halves (AVX-512F, unlike a YMM load into the upper
					// registers), then the upper half replaced.
					VBROADCASTF64X4(Mem{Base: bases[2*v], Index: off, Scale: 4}, bregs[v])
					VINSERTF64X4(U8(1), Mem{Base: bases[2*v+1], Index: off, Scale: 4}, bregs[v], bregs[v])
				case segments:
					VMOVUPS(Mem{Base: bases[v], Index: off, Scale: 4}, bregs[v])
				default:
					VMOVUPS(Mem{Base: b, Index: off, Scale: 4, Disp: v * s.lanes * 4}, bregs[v])
				}
				continue
			}
			VMOVUPS(Mem{Base: b, Disp: (u*nr + v*s.lanes) * 4}, bregs[v])
		}
		for r := range s.mr {
			t := s.regs[s.bc+(u*s.mr+r)%s.nbc]
			VBROADCASTSS(Mem{Base: a, Disp: (u*s.mr + r) * 4}, t)
			for v := range s.vecs {
				VFMADD231PS(bregs[v], t, acc(r, v))
			}
		}
	}
	Comment("Depth steps, unrolled.")
	CMPQ(kc, U8(s.unroll))
	JL(LabelRef("tail"))
	Label("loop")
	if s.prefetchOff > 0 {
		PREFETCHT0(Mem{Base: a, Disp: s.prefetchOff})
	}
	for u := range s.unroll {
		step(u)
	}
	ADDQ(U32(s.unroll*s.mr*4), a)
	if indirect {
		ADDQ(U32(s.unroll*8), offs)
	} else {
		ADDQ(U32(s.unroll*nr*4), b)
	}
	SUBQ(U8(s.unroll), kc)
	CMPQ(kc, U8(s.unroll))
	JGE(LabelRef("loop"))
	Label("tail")
	TESTQ(kc, kc)
	JZ(LabelRef("epilogue"))
	Label("loop1")
	step(0)
	ADDQ(U32(s.mr*4), a)
	if indirect {
		ADDQ(U8(8), offs)
	} else {
		ADDQ(U32(nr*4), b)
	}
	DECQ(kc)
	JNZ(LabelRef("loop1"))

	Label("epilogue")
	flags := getParam("flags")
	c := getParam("c")
	ldc := getParam("ldc")
	SHLQ(U8(2), ldc)
	t0, t1 := s.regs[s.b], s.regs[s.b+1]
	// forRows emits body for every row, with p pointing at the row of C.
	forRows := func(body func(r int, p reg.GPVirtual)) {
		p := GP64()
		MOVQ(c, p)
		for r := range s.mr {
			body(r, p)
			if r < s.mr-1 {
				ADDQ(ldc, p)
			}
		}
	}
	each := func(f func(x reg.VecPhysical)) {
		for r := range s.mr {
			for v := range s.vecs {
				f(acc(r, v))
			}
		}
	}
	skipUnless := func(flag int, label string) {
		TESTQ(U32(flag), flags)
		JZ(LabelRef(label))
	}

	skipUnless(flagScale, "noscale")
	VBROADCASTSS(paramAddr("alpha"), t0)
	each(func(x reg.VecPhysical) { VMULPS(t0, x, x) })
	Label("noscale")

	skipUnless(flagAccumulate, "noacc")
	forRows(func(r int, p reg.GPVirtual) {
		for v := range s.vecs {
			VADDPS(Mem{Base: p, Disp: v * s.lanes * 4}, acc(r, v), acc(r, v))
		}
	})
	Label("noacc")

	skipUnless(flagRowBias, "norowbias")
	bias := getParam("bias")
	for r := range s.mr {
		VBROADCASTSS(Mem{Base: bias, Disp: r * 4}, t0)
		for v := range s.vecs {
			VADDPS(t0, acc(r, v), acc(r, v))
		}
	}
	Label("norowbias")

	skipUnless(flagColBias, "nocolbias")
	bias = getParam("bias")
	for v := range s.vecs {
		VMOVUPS(Mem{Base: bias, Disp: v * s.lanes * 4}, s.regs[s.b+v])
	}
	for r := range s.mr {
		for v := range s.vecs {
			VADDPS(s.regs[s.b+v], acc(r, v), acc(r, v))
		}
	}
	Label("nocolbias")

	skipUnless(flagClamp, "store")
	VBROADCASTSS(paramAddr("lo"), t0)
	VBROADCASTSS(paramAddr("hi"), t1)
	// The accumulator is the second source of MAXPS and MINPS, the one
	// they return when an operand is NaN: NaN propagates, as in Clip.
	each(func(x reg.VecPhysical) { VMAXPS(x, t0, x) })
	each(func(x reg.VecPhysical) { VMINPS(x, t1, x) })

	Label("store")
	forRows(func(r int, p reg.GPVirtual) {
		for v := range s.vecs {
			VMOVUPS(acc(r, v), Mem{Base: p, Disp: v * s.lanes * 4})
		}
	})
	VZEROUPPER()
	RET()
}
