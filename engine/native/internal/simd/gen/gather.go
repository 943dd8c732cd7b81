package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gather generates
//
//	func gatherRunsAVX512(dst, src *float32, offs *int, kc, nr int, runs *int32, nruns int)
//
// which, for each run r of (lane, disp, n) triples and each depth step
// p < kc, copies the n ≤ 16 values at src[offs[p]+disp:] to
// dst[p·nr+lane:] under a mask: a packed nr-column B panel of an implicit
// convolution gathered from its padded planes, its columns any outputs
// (the valid ones, skipping the layout's garbage), which lie in runs of
// consecutive positions (an output row). A masked load and store per run
// and step cost less than a gather instruction per 16 columns (one
// thread, 32-column tiles of 14×14 planes at batch 4: 3.4 against 7.4 ns
// per step and tile; 7×7 planes, 5 runs a tile: 7.5 either way. Unmasked
// stores were no faster).
func gather() {
	TEXT("gatherRunsAVX512", NOSPLIT, "func(dst, src *float32, offs *int, kc, nr int, runs *int32, nruns int)")
	Doc("gatherRunsAVX512 packs B panels from runs of the planes; see gather in gen/gather.go.")
	Pragma("noescape")
	dst, src, offs := getParam("dst"), getParam("src"), getParam("offs")
	kc, runs, nruns := getParam("kc"), getParam("runs"), getParam("nruns")
	ldd := getParam("nr")
	SHLQ(U8(2), ldd)
	TESTQ(kc, kc)
	JZ(LabelRef("done"))
	TESTQ(nruns, nruns)
	JZ(LabelRef("done"))
	d, s, op, cnt, o, t := GP64(), GP64(), GP64(), GP64(), GP64(), GP64()
	Label("run")
	// d = dst + 4·lane, s = src + 4·disp, K1 = the run's n lanes.
	MOVLQSX(Mem{Base: runs}, t)
	LEAQ(Mem{Base: dst, Index: t, Scale: 4}, d)
	MOVLQSX(Mem{Base: runs, Disp: 4}, t)
	LEAQ(Mem{Base: src, Index: t, Scale: 4}, s)
	MOVLQSX(Mem{Base: runs, Disp: 8}, t)
	m := GP32()
	MOVL(U32(0xffff), m)
	BZHIL(t.As32(), m, m)
	KMOVW(m, reg.K1)
	MOVQ(offs, op)
	MOVQ(kc, cnt)
	Label("step")
	MOVQ(Mem{Base: op}, o)
	VMOVUPS_Z(Mem{Base: s, Index: o, Scale: 4}, reg.K1, reg.Z0)
	VMOVUPS(reg.Z0, reg.K1, Mem{Base: d})
	ADDQ(U8(8), op)
	ADDQ(ldd, d)
	DECQ(cnt)
	JNZ(LabelRef("step"))
	ADDQ(U8(12), runs)
	DECQ(nruns)
	JNZ(LabelRef("run"))
	Label("done")
	VZEROUPPER()
	RET()
}
