package enginetest

import (
	"fmt"
	"math"
	"slices"

	"github.com/inferd/inferd/tensor"
)

// Tolerances for float outputs: |got - want| <= Atol + Rtol·|want|.
const (
	Rtol = 1e-4
	Atol = 1e-5
)

// Compare checks got against want: same type and shape, floats within the
// tolerances, everything else exactly. It describes the first difference.
func Compare(got, want *tensor.Tensor) error {
	if got == nil {
		return fmt.Errorf("missing output")
	}
	if got.DType() != want.DType() || !slices.Equal(got.Shape(), want.Shape()) {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	switch w := want.Data().(type) {
	case []float32:
		g := tensor.Data[float32](got)
		for i := range w {
			if !withinTol(float64(g[i]), float64(w[i])) {
				return fmt.Errorf("element %d: got %v, want %v", i, g[i], w[i])
			}
		}
	case []float64:
		g := tensor.Data[float64](got)
		for i := range w {
			if !withinTol(g[i], w[i]) {
				return fmt.Errorf("element %d: got %v, want %v", i, g[i], w[i])
			}
		}
	default:
		return equalData(got, want)
	}
	return nil
}

func withinTol(g, w float64) bool {
	if math.IsNaN(w) {
		return math.IsNaN(g)
	}
	return math.Abs(g-w) <= Atol+Rtol*math.Abs(w)
}

func equalData(got, want *tensor.Tensor) error {
	switch w := want.Data().(type) {
	case []bool:
		return firstDiff(tensor.Data[bool](got), w)
	case []int8:
		return firstDiff(tensor.Data[int8](got), w)
	case []uint8:
		return firstDiff(tensor.Data[uint8](got), w)
	case []int32:
		return firstDiff(tensor.Data[int32](got), w)
	case []int64:
		return firstDiff(tensor.Data[int64](got), w)
	}
	return fmt.Errorf("cannot compare %v", want.DType())
}

func firstDiff[T comparable](g, w []T) error {
	for i := range w {
		if g[i] != w[i] {
			return fmt.Errorf("element %d: got %v, want %v", i, g[i], w[i])
		}
	}
	return nil
}

// Identical reports whether two tensors have the same type, shape and
// bit-identical data.
func Identical(a, b *tensor.Tensor) bool {
	if a == nil || b == nil || a.DType() != b.DType() || !slices.Equal(a.Shape(), b.Shape()) {
		return false
	}
	switch x := a.Data().(type) {
	case []float32:
		y := tensor.Data[float32](b)
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return true
	case []float64:
		y := tensor.Data[float64](b)
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return true
	}
	return equalData(a, b) == nil
}
