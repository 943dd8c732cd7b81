package native

import (
	"fmt"
	"slices"

	"github.com/inferd/inferd/tensor"
)

// Element type sets for generic kernels.
type (
	signedInt interface {
		~int8 | ~int16 | ~int32 | ~int64
	}
	integer interface {
		signedInt | ~uint8 | ~uint16 | ~uint32 | ~uint64
	}
	float   interface{ ~float32 | ~float64 }
	numeric interface{ integer | float }
	// numElem is the numeric element types a tensor holds (numeric
	// without approximation elements, so that tensor.Data accepts it).
	numElem interface {
		int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | float64
	}
)

// dtypeError reports an element type an operator does not handle.
func dtypeError(op string, dt tensor.DType) error {
	return fmt.Errorf("%s does not support element type %v", op, dt)
}

// sameDType checks that all non-nil tensors share the first one's type.
func sameDType(op string, ts ...*tensor.Tensor) error {
	for _, t := range ts[1:] {
		if t != nil && t.DType() != ts[0].DType() {
			return fmt.Errorf("%s: inputs have different element types %v and %v", op, ts[0].DType(), t.DType())
		}
	}
	return nil
}

// scalarFloat returns the single value of a one-element numeric tensor as
// float64.
func scalarFloat(t *tensor.Tensor) (float64, error) {
	if t.Len() != 1 {
		return 0, fmt.Errorf("expected a single value, got shape %v", t.Shape())
	}
	switch d := t.Data().(type) {
	case []float32:
		return float64(d[0]), nil
	case []float64:
		return d[0], nil
	case []int8:
		return float64(d[0]), nil
	case []int16:
		return float64(d[0]), nil
	case []int32:
		return float64(d[0]), nil
	case []int64:
		return float64(d[0]), nil
	case []uint8:
		return float64(d[0]), nil
	case []uint16:
		if t.DType() == tensor.Float16 {
			return float64(tensor.Float16ToFloat32(d[0])), nil
		}
		return float64(d[0]), nil
	case []uint32:
		return float64(d[0]), nil
	case []uint64:
		return float64(d[0]), nil
	case []bool:
		if d[0] {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("expected a numeric value, got %v", t.DType())
}

// intsOf returns the values of an integer tensor (int32 or int64) as ints.
func intsOf(t *tensor.Tensor) ([]int, error) {
	return intsTo(nil, t)
}

// intsTo is intsOf appending to buf (an empty slice of an array on the
// caller's stack, for few values).
func intsTo(buf []int, t *tensor.Tensor) ([]int, error) {
	switch d := t.Data().(type) {
	case []int64:
		s := slices.Grow(buf, len(d))
		for _, v := range d {
			s = append(s, int(v))
		}
		return s, nil
	case []int32:
		s := slices.Grow(buf, len(d))
		for _, v := range d {
			s = append(s, int(v))
		}
		return s, nil
	}
	return nil, fmt.Errorf("expected an int64 tensor, got %v", t.DType())
}
