package enginetest

import (
	"math"
	"slices"

	"github.com/inferd/inferd/tensor"
)

// Tolerances for float outputs: |got - want| <= Atol + Rtol·|want|.
const (
	Rtol = 1e-4
	Atol = 1e-5
)

// Tolerance is the tolerance of Compare, NaN matching NaN.
var Tolerance = tensor.Tolerance{RTol: Rtol, ATol: Atol, NaNEqual: true}

// Compare checks got against want with tensor.Compare: same type and shape,
// floats within Tolerance, everything else exactly. It describes the first
// difference.
func Compare(got, want *tensor.Tensor) error {
	_, err := tensor.Compare(got, want, Tolerance)
	return err
}

// Identical reports whether two tensors have the same type, shape and
// bit-identical data.
func Identical(a, b *tensor.Tensor) bool {
	if a == nil || b == nil || a.DType() != b.DType() || !slices.Equal(a.Shape(), b.Shape()) {
		return false
	}
	switch x := a.Data().(type) {
	case []float32:
		return slices.EqualFunc(x, b.Data().([]float32), func(p, q float32) bool { return math.Float32bits(p) == math.Float32bits(q) })
	case []float64:
		return slices.EqualFunc(x, b.Data().([]float64), func(p, q float64) bool { return math.Float64bits(p) == math.Float64bits(q) })
	case []uint16: // FP16 bits included
		return slices.Equal(x, b.Data().([]uint16))
	}
	_, err := tensor.Compare(a, b, tensor.Tolerance{})
	return err == nil
}
