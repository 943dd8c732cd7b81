package native

import (
	"github.com/inferd/inferd/engine/native/internal/simd"
	"github.com/inferd/inferd/tensor"
)

// Binary arithmetic with multidirectional broadcasting: Add, Sub, Mul, Div
// for every numeric type. Before opset 7 a broadcast attribute enabled
// broadcasting of the second input, aligned at axis (binaryop.go).

func init() {
	registerArith("Add", opAdd)
	registerArith("Sub", opSub)
	registerArith("Mul", opMul)
	registerArith("Div", opDiv)
}

// registerArith registers one of the four arithmetic operators.
func registerArith(name string, op arithOp) {
	loops := map[tensor.DType]binaryLoop{
		tensor.Float32: sameLoop(vecArith(op)),
		tensor.Float64: sameLoop(arithFuncs[float64](op)),
	}
	addInt := func(dt tensor.DType, l binaryLoop) { loops[dt] = l }
	if op == opDiv {
		addInt(tensor.Int8, sameLoop(intDivFuncs[int8]()))
		addInt(tensor.Int16, sameLoop(intDivFuncs[int16]()))
		addInt(tensor.Int32, sameLoop(intDivFuncs[int32]()))
		addInt(tensor.Int64, sameLoop(intDivFuncs[int64]()))
		addInt(tensor.Uint8, sameLoop(intDivFuncs[uint8]()))
		addInt(tensor.Uint16, sameLoop(intDivFuncs[uint16]()))
		addInt(tensor.Uint32, sameLoop(intDivFuncs[uint32]()))
		addInt(tensor.Uint64, sameLoop(intDivFuncs[uint64]()))
	} else {
		addInt(tensor.Int8, sameLoop(arithFuncs[int8](op)))
		addInt(tensor.Int16, sameLoop(arithFuncs[int16](op)))
		addInt(tensor.Int32, sameLoop(arithFuncs[int32](op)))
		addInt(tensor.Int64, sameLoop(arithFuncs[int64](op)))
		addInt(tensor.Uint8, sameLoop(arithFuncs[uint8](op)))
		addInt(tensor.Uint16, sameLoop(arithFuncs[uint16](op)))
		addInt(tensor.Uint32, sameLoop(arithFuncs[uint32](op)))
		addInt(tensor.Uint64, sameLoop(arithFuncs[uint64](op)))
	}
	registerBinary(name, loops)
}

type arithOp int

const (
	opAdd arithOp = iota
	opSub
	opMul
	opDiv
)

// vecArith is arithFuncs[float32] with runs of two operands of at least
// a vector (a residual Add of two activations) on the SIMD vector kernel.
func vecArith(op arithOp) binaryFuncs[float32] {
	f := arithFuncs[float32](op)
	vv, vop := f.vv, simd.VecAdd+simd.VecOp(op-opAdd)
	f.vv = func(d, x, y []float32) {
		if len(d) < 16 || !mapSIMD(vop, d, x, y, 0) {
			vv(d, x, y)
		}
	}
	return f
}

// arithFuncs returns the inner loops of an arithmetic operator; each loop
// is a separate closure so that the operation inlines into it.
func arithFuncs[T numeric](op arithOp) binaryFuncs[T] {
	switch op {
	case opAdd:
		return addFuncs[T]()
	case opSub:
		return subFuncs[T]()
	case opMul:
		return mulFuncs[T]()
	}
	return divFuncs[T]()
}

// addFuncs is x + y.
func addFuncs[T numeric]() binaryFuncs[T] {
	return binaryFuncs[T]{
		vv: func(d, x, y []T) {
			x, y = x[:len(d)], y[:len(d)]
			for i := range d {
				d[i] = x[i] + y[i]
			}
		},
		vs: func(d, x []T, y T) {
			x = x[:len(d)]
			for i := range d {
				d[i] = x[i] + y
			}
		},
		sv: func(d []T, x T, y []T) {
			y = y[:len(d)]
			for i := range d {
				d[i] = x + y[i]
			}
		},
	}
}

// subFuncs is x - y.
func subFuncs[T numeric]() binaryFuncs[T] {
	return binaryFuncs[T]{
		vv: func(d, x, y []T) {
			x, y = x[:len(d)], y[:len(d)]
			for i := range d {
				d[i] = x[i] - y[i]
			}
		},
		vs: func(d, x []T, y T) {
			x = x[:len(d)]
			for i := range d {
				d[i] = x[i] - y
			}
		},
		sv: func(d []T, x T, y []T) {
			y = y[:len(d)]
			for i := range d {
				d[i] = x - y[i]
			}
		},
	}
}

// mulFuncs is x * y.
func mulFuncs[T numeric]() binaryFuncs[T] {
	return binaryFuncs[T]{
		vv: func(d, x, y []T) {
			x, y = x[:len(d)], y[:len(d)]
			for i := range d {
				d[i] = x[i] * y[i]
			}
		},
		vs: func(d, x []T, y T) {
			x = x[:len(d)]
			for i := range d {
				d[i] = x[i] * y
			}
		},
		sv: func(d []T, x T, y []T) {
			y = y[:len(d)]
			for i := range d {
				d[i] = x * y[i]
			}
		},
	}
}

// divFuncs is x / y (for floats: integers divide in intDivFuncs).
func divFuncs[T numeric]() binaryFuncs[T] {
	return binaryFuncs[T]{
		vv: func(d, x, y []T) {
			x, y = x[:len(d)], y[:len(d)]
			for i := range d {
				d[i] = x[i] / y[i]
			}
		},
		vs: func(d, x []T, y T) {
			x = x[:len(d)]
			for i := range d {
				d[i] = x[i] / y
			}
		},
		sv: func(d []T, x T, y []T) {
			y = y[:len(d)]
			for i := range d {
				d[i] = x / y[i]
			}
		},
	}
}

// intDivFuncs is integer division truncating toward zero (as C and ONNX
// Runtime do); a zero divisor aborts the run with an error.
func intDivFuncs[T integer]() binaryFuncs[T] {
	check := func(y T) {
		if y == 0 {
			throwf("Div: integer division by zero")
		}
	}
	return binaryFuncs[T]{
		vv: func(d, x, y []T) {
			x, y = x[:len(d)], y[:len(d)]
			for i := range d {
				check(y[i])
				d[i] = x[i] / y[i]
			}
		},
		vs: func(d, x []T, y T) {
			check(y)
			x = x[:len(d)]
			for i := range d {
				d[i] = x[i] / y
			}
		},
		sv: func(d []T, x T, y []T) {
			y = y[:len(d)]
			for i := range d {
				check(y[i])
				d[i] = x / y[i]
			}
		},
	}
}
