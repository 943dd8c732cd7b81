package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// Max, Min, Sum and Mean over any number of inputs, broadcasting (opset 8
// onwards; before, the inputs had one shape, which broadcasting covers).
// Max and Min propagate NaN, as numpy's maximum and minimum do.

func init() {
	register("Max", func(b *buildCtx) (kernel, error) { return buildVariadic(b, "Max", maxLoops()) })
	register("Min", func(b *buildCtx) (kernel, error) { return buildVariadic(b, "Min", minLoops()) })
	register("Sum", func(b *buildCtx) (kernel, error) { return buildVariadic(b, "Sum", sumLoops()) })
	register("Mean", func(b *buildCtx) (kernel, error) {
		return buildVariadic(b, "Mean", sumLoops())
	})
}

type variadicKernel struct {
	name  string
	loops map[tensor.DType]binaryLoop
	mean  bool
}

func buildVariadic(b *buildCtx, name string, loops map[tensor.DType]binaryLoop) (kernel, error) {
	if len(b.node.Inputs) == 0 {
		return nil, b.errorf("%s needs at least one input", name)
	}
	return &variadicKernel{name: name, loops: loops, mean: name == "Mean"}, nil
}

func (k *variadicKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	var acc *tensor.Tensor
	count := 0
	for _, t := range in {
		if t == nil {
			continue
		}
		count++
		if acc == nil {
			acc = t
			continue
		}
		if err := sameDType(k.name, acc, t); err != nil {
			return err
		}
		loop, ok := k.loops[t.DType()]
		if !ok {
			return dtypeError(k.name, t.DType())
		}
		g, err := newBcastGeom(acc.Shape(), t.Shape())
		if err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
		acc = loop(rc, acc, t, g)
	}
	if acc == nil {
		return fmt.Errorf("%s needs at least one input", k.name)
	}
	if _, ok := k.loops[acc.DType()]; !ok {
		return dtypeError(k.name, acc.DType())
	}
	if count == 1 {
		acc = acc.Clone()
	}
	if k.mean && count > 1 {
		switch d := acc.Data().(type) {
		case []float32:
			for i := range d {
				d[i] /= float32(count)
			}
		case []float64:
			for i := range d {
				d[i] /= float64(count)
			}
		default:
			return dtypeError("Mean", acc.DType())
		}
	}
	out[0] = acc
	return nil
}

func sumLoops() map[tensor.DType]binaryLoop {
	return map[tensor.DType]binaryLoop{
		tensor.Float32: sameLoop(arithFuncs[float32](opAdd)),
		tensor.Float64: sameLoop(arithFuncs[float64](opAdd)),
		tensor.Int32:   sameLoop(arithFuncs[int32](opAdd)),
		tensor.Int64:   sameLoop(arithFuncs[int64](opAdd)),
	}
}

func maxLoops() map[tensor.DType]binaryLoop {
	return extremeLoops(func(a, b float64) bool { return a > b })
}

func minLoops() map[tensor.DType]binaryLoop {
	return extremeLoops(func(a, b float64) bool { return a < b })
}

// extremeLoops picks the first operand when better(a, b) or a is NaN.
func extremeLoops(better func(a, b float64) bool) map[tensor.DType]binaryLoop {
	pickF := func(a, b float64) float64 {
		if math.IsNaN(a) || better(a, b) || a == b {
			return a
		}
		return b
	}
	return map[tensor.DType]binaryLoop{
		tensor.Float32: mapLoop(func(a, b float32) float32 { return float32(pickF(float64(a), float64(b))) }),
		tensor.Float64: mapLoop(pickF),
		tensor.Int8:    mapLoop(pickInt[int8](better)),
		tensor.Int16:   mapLoop(pickInt[int16](better)),
		tensor.Int32:   mapLoop(pickInt[int32](better)),
		tensor.Int64:   mapLoop(pickInt[int64](better)),
		tensor.Uint8:   mapLoop(pickInt[uint8](better)),
		tensor.Uint16:  mapLoop(pickInt[uint16](better)),
		tensor.Uint32:  mapLoop(pickInt[uint32](better)),
		tensor.Uint64:  mapLoop(pickInt[uint64](better)),
	}
}

func pickInt[T integer](better func(a, b float64) bool) func(a, b T) T {
	gt := better(1, 0)
	return func(a, b T) T {
		if (a > b) == gt && a != b {
			return a
		}
		return b
	}
}
