package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Binary arithmetic with multidirectional broadcasting: Add, Sub, Mul, Div
// for float32, float64, int32 and int64 (opset 7 onwards; earlier versions
// had a broadcast attribute instead).

func init() {
	registerBinary("Add", arithFuncs[float32](opAdd), arithFuncs[float64](opAdd), arithFuncs[int32](opAdd), arithFuncs[int64](opAdd))
	registerBinary("Sub", arithFuncs[float32](opSub), arithFuncs[float64](opSub), arithFuncs[int32](opSub), arithFuncs[int64](opSub))
	registerBinary("Mul", arithFuncs[float32](opMul), arithFuncs[float64](opMul), arithFuncs[int32](opMul), arithFuncs[int64](opMul))
	registerBinary("Div", arithFuncs[float32](opDiv), arithFuncs[float64](opDiv), intDivFuncs[int32](), intDivFuncs[int64]())
}

// binaryOp is a broadcasting binary operator over the four main numeric
// types; a nil set of funcs means the type is not supported.
type binaryOp struct {
	name string
	f32  binaryFuncs[float32]
	f64  binaryFuncs[float64]
	i32  binaryFuncs[int32]
	i64  binaryFuncs[int64]
}

func registerBinary(name string, f32 binaryFuncs[float32], f64 binaryFuncs[float64], i32 binaryFuncs[int32], i64 binaryFuncs[int64]) {
	op := &binaryOp{name: name, f32: f32, f64: f64, i32: i32, i64: i64}
	register(name, func(b *buildCtx) (kernel, error) {
		if len(b.node.Inputs) != 2 || !b.hasInput(0) || !b.hasInput(1) {
			return nil, b.errorf("%s needs 2 inputs, got %d", name, len(b.node.Inputs))
		}
		if b.node.Has("broadcast") {
			return nil, b.errorf("attribute broadcast belongs to opset < 7, which is not supported")
		}
		return op, nil
	})
}

func (op *binaryOp) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x, y := in[0], in[1]
	if err := sameDType(op.name, x, y); err != nil {
		return err
	}
	shape, err := broadcastShapes(x.Shape(), y.Shape())
	if err != nil {
		return fmt.Errorf("%s: %w", op.name, err)
	}
	o := rc.alloc(x.DType(), shape)
	switch x.DType() {
	case tensor.Float32:
		broadcastBinary(rc, op.f32, tensor.Data[float32](o), tensor.Data[float32](x), tensor.Data[float32](y), shape, x.Shape(), y.Shape())
	case tensor.Float64:
		broadcastBinary(rc, op.f64, tensor.Data[float64](o), tensor.Data[float64](x), tensor.Data[float64](y), shape, x.Shape(), y.Shape())
	case tensor.Int32:
		broadcastBinary(rc, op.i32, tensor.Data[int32](o), tensor.Data[int32](x), tensor.Data[int32](y), shape, x.Shape(), y.Shape())
	case tensor.Int64:
		broadcastBinary(rc, op.i64, tensor.Data[int64](o), tensor.Data[int64](x), tensor.Data[int64](y), shape, x.Shape(), y.Shape())
	default:
		return dtypeError(op.name, x.DType())
	}
	out[0] = o
	return nil
}

type arithOp int

const (
	opAdd arithOp = iota
	opSub
	opMul
	opDiv
)

// arithFuncs returns the inner loops of an arithmetic operator; each loop
// is a separate closure so that the operation inlines into it.
func arithFuncs[T numeric](op arithOp) binaryFuncs[T] {
	switch op {
	case opAdd:
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
	case opSub:
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
	case opMul:
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
func intDivFuncs[T signedInt]() binaryFuncs[T] {
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
