package tensor

import (
	"fmt"
	"slices"
)

// Elem is the set of Go element types a Tensor can hold. Float16 tensors
// hold their raw bits as uint16.
type Elem interface {
	bool | uint8 | uint16 | uint32 | uint64 | int8 | int16 | int32 | int64 | float32 | float64 | string
}

// Tensor is an n-dimensional array: a DType, a shape and the elements in
// row-major order. A Tensor with an empty shape is a scalar with one element.
// Tensors are not safe for concurrent mutation; treat a tensor as immutable
// once it has been handed to another component.
type Tensor struct {
	dtype DType
	shape []int
	data  any
}

// New returns a zero-filled tensor of the given type and shape.
func New(dt DType, shape ...int) *Tensor {
	n := NumElements(shape)
	switch dt {
	case Bool:
		return withData(dt, shape, make([]bool, n))
	case Uint8:
		return withData(dt, shape, make([]uint8, n))
	case Uint16, Float16:
		return withData(dt, shape, make([]uint16, n))
	case Uint32:
		return withData(dt, shape, make([]uint32, n))
	case Uint64:
		return withData(dt, shape, make([]uint64, n))
	case Int8:
		return withData(dt, shape, make([]int8, n))
	case Int16:
		return withData(dt, shape, make([]int16, n))
	case Int32:
		return withData(dt, shape, make([]int32, n))
	case Int64:
		return withData(dt, shape, make([]int64, n))
	case Float32:
		return withData(dt, shape, make([]float32, n))
	case Float64:
		return withData(dt, shape, make([]float64, n))
	case String:
		return withData(dt, shape, make([]string, n))
	}
	panic(fmt.Sprintf("tensor.New: invalid dtype %v", dt))
}

// DTypeOf returns the DType that holds elements of type T. uint16 maps to
// Uint16; use FromFloat16Bits for half precision.
func DTypeOf[T Elem]() DType {
	var z T
	switch any(z).(type) {
	case bool:
		return Bool
	case uint8:
		return Uint8
	case uint16:
		return Uint16
	case uint32:
		return Uint32
	case uint64:
		return Uint64
	case int8:
		return Int8
	case int16:
		return Int16
	case int32:
		return Int32
	case int64:
		return Int64
	case float32:
		return Float32
	case float64:
		return Float64
	case string:
		return String
	}
	return Invalid
}

// FromSlice wraps data (without copying) as a tensor of the given shape.
func FromSlice[T Elem](data []T, shape ...int) (*Tensor, error) {
	if err := checkShape(shape); err != nil {
		return nil, err
	}
	if n := NumElements(shape); n != len(data) {
		return nil, fmt.Errorf("shape %v needs %d elements, got %d", slices.Clone(shape), n, len(data))
	}
	return withData(DTypeOf[T](), shape, data), nil
}

// MustFromSlice is FromSlice that panics on error; for tests and constants.
func MustFromSlice[T Elem](data []T, shape ...int) *Tensor {
	t, err := FromSlice(data, shape...)
	if err != nil {
		panic(err)
	}
	return t
}

// FromFloat16Bits wraps raw IEEE 754 half-precision bits as a Float16 tensor.
func FromFloat16Bits(bits []uint16, shape ...int) (*Tensor, error) {
	t, err := FromSlice(bits, shape...)
	if err != nil {
		return nil, err
	}
	t.dtype = Float16
	return t, nil
}

// Scalar returns a tensor of shape [] holding v.
func Scalar[T Elem](v T) *Tensor { return withData(DTypeOf[T](), nil, []T{v}) }

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns the shape. The caller must not modify it.
func (t *Tensor) Shape() []int { return t.shape }

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int { return len(t.shape) }

// Len returns the number of elements.
func (t *Tensor) Len() int { return NumElements(t.shape) }

// Data returns the underlying slice ([]float32, []int64, ...).
func (t *Tensor) Data() any { return t.data }

// Bytes returns the size of the tensor's data in bytes; strings count their
// length.
func (t *Tensor) Bytes() int {
	if t.dtype == String {
		n := 0
		for _, s := range t.data.([]string) {
			n += len(s)
		}
		return n
	}
	return t.Len() * t.dtype.Size()
}

// String describes the tensor's type and shape, not its data.
func (t *Tensor) String() string { return fmt.Sprintf("%v%v", t.dtype, t.shape) }

// Data returns the tensor's elements as a []T. It panics if T does not match
// the tensor's storage type: callers check DType first.
func Data[T Elem](t *Tensor) []T {
	d, ok := t.data.([]T)
	if !ok {
		var z T
		panic(fmt.Sprintf("tensor.Data[%T] on a %v tensor", z, t.dtype))
	}
	return d
}

// Reshape returns a tensor sharing t's data with a new shape of the same
// number of elements.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	if err := checkShape(shape); err != nil {
		return nil, err
	}
	if NumElements(shape) != t.Len() {
		return nil, fmt.Errorf("cannot reshape %v to %v: element counts differ", t.shape, slices.Clone(shape))
	}
	return withShape(t.dtype, shape, t.data), nil
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	switch d := t.data.(type) {
	case []bool:
		return withData(t.dtype, t.shape, slices.Clone(d))
	case []uint8:
		return withData(t.dtype, t.shape, slices.Clone(d))
	case []uint16:
		return withData(t.dtype, t.shape, slices.Clone(d))
	case []uint32:
		return withData(t.dtype, t.shape, slices.Clone(d))
	case []uint64:
		return withData(t.dtype, t.shape, slices.Clone(d))
	case []int8:
		return withData(t.dtype, t.shape, slices.Clone(d))
	case []int16:
		return withData(t.dtype, t.shape, slices.Clone(d))
	case []int32:
		return withData(t.dtype, t.shape, slices.Clone(d))
	case []int64:
		return withData(t.dtype, t.shape, slices.Clone(d))
	case []float32:
		return withData(t.dtype, t.shape, slices.Clone(d))
	case []float64:
		return withData(t.dtype, t.shape, slices.Clone(d))
	case []string:
		return withData(t.dtype, t.shape, slices.Clone(d))
	}
	return withShape(t.dtype, t.shape, nil)
}

// NumElements returns the product of the dimensions (1 for a scalar).
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Strides returns the row-major strides, in elements, of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// Unravel turns a flat row-major index into the multi-index of shape.
func Unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		if shape[k] > 0 {
			idx[k] = i % shape[k]
			i /= shape[k]
		}
	}
	return idx
}

// maxElements bounds the element count of any tensor built from untrusted
// shapes so that a shape cannot request an absurd allocation.
const maxElements = 1 << 31

func checkShape(shape []int) error {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", slices.Clone(shape)) // a copy: shape stays off the heap
		}
		if d != 0 && n > maxElements/d {
			return fmt.Errorf("shape %v has too many elements", slices.Clone(shape))
		}
		n *= d
	}
	return nil
}

// CheckShape reports whether shape is a valid concrete shape: no negative
// dimension and a bounded element count.
func CheckShape(shape []int) error { return checkShape(shape) }
