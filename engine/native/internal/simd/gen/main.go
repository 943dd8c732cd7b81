// Command gen generates the amd64 assembly of package simd with avo
// (github.com/mmcloughlin/avo). It is its own module, so that the inferd
// module does not depend on avo; run it through go generate in the simd
// package:
//
//	go generate ./engine/native/internal/simd
//
// which runs
//
//	go run -C gen . -out ../simd_amd64.s -stubs ../simd_amd64.go -pkg simd
package main

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/buildtags"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	Constraint(buildtags.Not("purego").ToConstraint())
	for _, s := range []gemmSpec{gemmAVX512, gemmAVX2} {
		gemmKernel(s, false, false)
		gemmKernel(s, true, false)
		gemmKernel(s, true, true)
		gemmSegmentsKernel(s)
		gemmSegmentsPanelsKernel(s)
		gemmIndirectPanelsKernel(s)
	}
	for _, s := range []gemmSpec{gemmAVX512Narrow, gemmAVX2Narrow} {
		gemmKernel(s, false, false)
		gemmKernel(s, true, false)
	}
	gemmKernel(gemmAVX512One, false, false)
	gemmMaskedKernel(gemmAVX512)
	gemmMaskedKernel(gemmAVX512Narrow)
	gemmMaskedStridedKernel(gemmAVX512)
	gemmMaskedStridedKernel(gemmAVX512Narrow)
	gemmTransKernel()
	transposeRows8()
	mask := tapMask()
	tapKernels(mask)
	planeKernels(mask)
	copyKernels(mask)
	table, idx := vecKernels(mask)
	rowKernels(table, idx)
	deinterleave()
	maxPool2x2()
	gather()
	winoKernels()
	Generate()
}

// getParam loads a parameter into a fresh general-purpose register.
func getParam(name string) reg.GPVirtual {
	r := GP64()
	Load(Param(name), r)
	return r
}

// paramAddr is the stack address of a parameter.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// zmm and ymm are the vector registers by number.
var (
	zmm = []reg.VecPhysical{
		reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7,
		reg.Z8, reg.Z9, reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15,
		reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23,
		reg.Z24, reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31,
	}
	ymm = []reg.VecPhysical{
		reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
		reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15,
	}
)
