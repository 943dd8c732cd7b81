package simd

import (
	"fmt"
	"math"
)

// VecOp is an operation of the vector kernels (Map).
type VecOp int

// The operations; the values are those of the generator (gen/vec.go).
const (
	VecAdd VecOp = iota // dst = a + b
	VecSub              // dst = a − b
	VecMul              // dst = a · b
	VecDiv              // dst = a / b
	// VecExp is dst = e^(a+s) (Cephes' expf, within 2 ulps; 0 below the
	// normal range, +Inf above it).
	VecExp
	VecErf  // dst = erf(a) (a rational approximation, a few ulps)
	VecTanh // dst = tanh(a) (a rational approximation, a few ulps)
	// VecSigmoid is dst = 1 / (1 + e^−a).
	VecSigmoid
	// VecSiLU is dst = a · sigmoid(a), rounded as VecSigmoid then VecMul.
	VecSiLU
)

// binary reports whether the operation reads b.
func (op VecOp) binary() bool { return op < VecExp }

// Map computes the operation over len(dst) values: b (the second operand
// of the arithmetic operations) and a must hold at least as many; s is
// the shift of VecExp (0 for the others). dst may be a or b. The Go kernel
// computes the functions in float64.
func (k *TapKernel) Map(op VecOp, dst, a, b []float32, s float32) {
	if len(a) < len(dst) || op.binary() && len(b) < len(dst) || op < VecAdd || op > VecSiLU {
		panic(fmt.Sprintf("simd: %s: map %d of %d values into %d", k.Name, op, len(a), len(dst)))
	}
	if len(dst) == 0 {
		return
	}
	if k.isa == isaGo {
		mapGo(op, dst, a, b, s)
		return
	}
	mapAsm(k.isa, op, dst, a, b, s)
}

func mapGo(op VecOp, dst, a, b []float32, s float32) {
	a = a[:len(dst)]
	if op.binary() {
		b = b[:len(dst)]
	}
	for i, x := range a {
		switch op {
		case VecAdd:
			dst[i] = x + b[i]
		case VecSub:
			dst[i] = x - b[i]
		case VecMul:
			dst[i] = x * b[i]
		case VecDiv:
			dst[i] = x / b[i]
		case VecExp:
			dst[i] = float32(math.Exp(float64(x + s)))
		case VecErf:
			dst[i] = float32(math.Erf(float64(x)))
		case VecTanh:
			dst[i] = float32(math.Tanh(float64(x)))
		case VecSigmoid:
			dst[i] = float32(1 / (1 + math.Exp(-float64(x))))
		case VecSiLU:
			dst[i] = x * float32(1/(1+math.Exp(-float64(x))))
		}
	}
}
