package native

import (
	"math"

	"github.com/inferd/inferd/tensor"
)

// Comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual) with a
// bool output, the logical And, Or, Xor over bools, BitShift over unsigned
// integers and Mod, all broadcasting.

func init() {
	registerBinary("Equal", cmpLoops(func(a, b float64) bool { return a == b }, true))
	registerBinary("Less", cmpLoops(func(a, b float64) bool { return a < b }, false))
	registerBinary("Greater", cmpLoops(func(a, b float64) bool { return a > b }, false))
	registerBinarySince("LessOrEqual", 12, cmpLoops(func(a, b float64) bool { return a <= b }, false))
	registerBinarySince("GreaterOrEqual", 12, cmpLoops(func(a, b float64) bool { return a >= b }, false))
	registerBinary("And", map[tensor.DType]binaryLoop{tensor.Bool: mapLoop(func(a, b bool) bool { return a && b })})
	registerBinary("Or", map[tensor.DType]binaryLoop{tensor.Bool: mapLoop(func(a, b bool) bool { return a || b })})
	registerBinary("Xor", map[tensor.DType]binaryLoop{tensor.Bool: mapLoop(func(a, b bool) bool { return a != b })})
	registerSince("BitShift", 11, buildBitShift)
	registerSince("Mod", 10, buildMod)
}

// cmpLoops builds a comparison for every numeric type from its float64
// form; integers compare exactly through their own type's order, which
// float64 would lose above 2^53, so they use cmpInt.
func cmpLoops(f func(a, b float64) bool, withBool bool) map[tensor.DType]binaryLoop {
	loops := map[tensor.DType]binaryLoop{
		tensor.Float32: mapLoop(func(a, b float32) bool { return f(float64(a), float64(b)) }),
		tensor.Float64: mapLoop(f),
		tensor.Int8:    mapLoop(cmpInt[int8](f)),
		tensor.Int16:   mapLoop(cmpInt[int16](f)),
		tensor.Int32:   mapLoop(cmpInt[int32](f)),
		tensor.Int64:   mapLoop(cmpInt[int64](f)),
		tensor.Uint8:   mapLoop(cmpInt[uint8](f)),
		tensor.Uint16:  mapLoop(cmpInt[uint16](f)),
		tensor.Uint32:  mapLoop(cmpInt[uint32](f)),
		tensor.Uint64:  mapLoop(cmpInt[uint64](f)),
	}
	if withBool {
		loops[tensor.Bool] = mapLoop(func(a, b bool) bool { return a == b })
		loops[tensor.String] = mapLoop(func(a, b string) bool { return a == b })
	}
	return loops
}

// cmpInt compares integers by their sign (-1, 0, 1) fed to the float64
// comparison, which is exact.
func cmpInt[T integer](f func(a, b float64) bool) func(a, b T) bool {
	return func(a, b T) bool {
		switch {
		case a < b:
			return f(0, 1)
		case a > b:
			return f(1, 0)
		}
		return f(0, 0)
	}
}

func buildBitShift(b *buildCtx) (kernel, error) {
	dir, err := b.stringAttr("direction", "")
	if err != nil {
		return nil, err
	}
	left := dir == "LEFT"
	if !left && dir != "RIGHT" {
		return nil, b.errorf("attribute direction is %q, want LEFT or RIGHT", dir)
	}
	loops := map[tensor.DType]binaryLoop{
		tensor.Uint8:  mapLoop(shiftFunc[uint8](left)),
		tensor.Uint16: mapLoop(shiftFunc[uint16](left)),
		tensor.Uint32: mapLoop(shiftFunc[uint32](left)),
		tensor.Uint64: mapLoop(shiftFunc[uint64](left)),
	}
	return &binaryKernel{name: "BitShift", loops: loops, legacyAxis: -1, geom: &bcastCache{}}, nil
}

func shiftFunc[T ~uint8 | ~uint16 | ~uint32 | ~uint64](left bool) func(a, b T) T {
	if left {
		return func(a, b T) T { return a << b }
	}
	return func(a, b T) T { return a >> b }
}

// buildMod: fmod=0 is the integer modulus with the divisor's sign (as
// Python's %); fmod=1 is C's fmod, the dividend's sign, for floats and
// integers.
func buildMod(b *buildCtx) (kernel, error) {
	fmod, err := b.boolAttr("fmod", false)
	if err != nil {
		return nil, err
	}
	loops := map[tensor.DType]binaryLoop{
		tensor.Int8:   mapLoop(modInt[int8](fmod)),
		tensor.Int16:  mapLoop(modInt[int16](fmod)),
		tensor.Int32:  mapLoop(modInt[int32](fmod)),
		tensor.Int64:  mapLoop(modInt[int64](fmod)),
		tensor.Uint8:  mapLoop(modInt[uint8](fmod)),
		tensor.Uint16: mapLoop(modInt[uint16](fmod)),
		tensor.Uint32: mapLoop(modInt[uint32](fmod)),
		tensor.Uint64: mapLoop(modInt[uint64](fmod)),
	}
	if fmod {
		loops[tensor.Float32] = mapLoop(func(a, b float32) float32 { return float32(math.Mod(float64(a), float64(b))) })
		loops[tensor.Float64] = mapLoop(math.Mod)
	}
	return &binaryKernel{name: "Mod", loops: loops, legacyAxis: -1, geom: &bcastCache{}}, nil
}

func modInt[T integer](fmod bool) func(a, b T) T {
	return func(a, b T) T {
		if b == 0 {
			throwf("Mod: integer division by zero")
		}
		r := a % b
		if !fmod && r != 0 && (r < 0) != (b < 0) {
			r += b
		}
		return r
	}
}
