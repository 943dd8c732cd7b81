package v2

import (
	"math"

	"github.com/inferd/inferd/tensor"
)

// contentsField names the InferTensorContents field of each datatype; FP16
// has none (it travels as raw contents only).
var contentsField = map[tensor.DType]string{
	tensor.Bool: "bool_contents",
	tensor.Int8: "int_contents", tensor.Int16: "int_contents", tensor.Int32: "int_contents",
	tensor.Int64: "int64_contents",
	tensor.Uint8: "uint_contents", tensor.Uint16: "uint_contents", tensor.Uint32: "uint_contents",
	tensor.Uint64:  "uint64_contents",
	tensor.Float32: "fp32_contents",
	tensor.Float64: "fp64_contents",
	tensor.String:  "bytes_contents",
}

// HasContents reports whether dt has a typed contents field; FP16 does not.
func HasContents(dt tensor.DType) bool { _, ok := contentsField[dt]; return ok }

// fieldLen is the number of elements in one field of the contents.
type fieldLen struct {
	name string
	n    int
}

// fieldLens returns the number of elements in each field of c, in the
// order of the message's fields.
func fieldLens(c *InferTensorContents) [8]fieldLen {
	return [8]fieldLen{
		{"bool_contents", len(c.GetBoolContents())},
		{"int_contents", len(c.GetIntContents())},
		{"int64_contents", len(c.GetInt64Contents())},
		{"uint_contents", len(c.GetUintContents())},
		{"uint64_contents", len(c.GetUint64Contents())},
		{"fp32_contents", len(c.GetFp32Contents())},
		{"fp64_contents", len(c.GetFp64Contents())},
		{"bytes_contents", len(c.GetBytesContents())},
	}
}

// ContentsOf returns t's elements in the typed contents field of its
// datatype. It fails for FP16, which has no such field.
func ContentsOf(t *tensor.Tensor) (*InferTensorContents, error) {
	c := &InferTensorContents{}
	switch d := t.Data().(type) {
	case []bool:
		c.BoolContents = d
	case []int8:
		c.IntContents = widen[int32](d)
	case []int16:
		c.IntContents = widen[int32](d)
	case []int32:
		c.IntContents = d
	case []int64:
		c.Int64Contents = d
	case []uint8:
		c.UintContents = widen[uint32](d)
	case []uint16:
		if t.DType() == tensor.Float16 {
			return nil, invalidf("FP16 has no typed contents field; it is sent in raw contents")
		}
		c.UintContents = widen[uint32](d)
	case []uint32:
		c.UintContents = d
	case []uint64:
		c.Uint64Contents = d
	case []float32:
		c.Fp32Contents = d
	case []float64:
		c.Fp64Contents = d
	case []string:
		c.BytesContents = make([][]byte, len(d))
		for i, s := range d {
			c.BytesContents[i] = []byte(s)
		}
	}
	return c, nil
}

func widen[W int32 | uint32, N int8 | int16 | uint8 | uint16](d []N) []W {
	out := make([]W, len(d))
	for i, v := range d {
		out[i] = W(v)
	}
	return out
}

// TensorFromContents builds a tensor of type dt and the given shape from
// typed contents. The elements must be in the field of the datatype, and
// that field must hold exactly as many as the shape needs; errors wrap
// ErrInvalid.
func TensorFromContents(dt tensor.DType, shape []int, c *InferTensorContents) (*tensor.Tensor, error) {
	if err := tensor.CheckShape(shape); err != nil {
		return nil, invalidf("%v", err)
	}
	field, ok := contentsField[dt]
	if !ok {
		return nil, invalidf("%v data has no typed contents field; send it in raw_input_contents", dt)
	}
	n := tensor.NumElements(shape)
	got := 0
	for _, f := range fieldLens(c) { // in order: the same error every time
		switch {
		case f.name == field:
			got = f.n
		case f.n > 0:
			return nil, invalidf("%v data belongs in %s, but the contents set %s", dt, field, f.name)
		}
	}
	if got != n {
		return nil, invalidf("shape %v needs %d elements, %s has %d", shape, n, field, got)
	}
	t := tensor.New(dt, shape...)
	switch d := t.Data().(type) {
	case []bool:
		copy(d, c.BoolContents)
	case []int8:
		return t, narrow(d, c.IntContents, math.MinInt8, math.MaxInt8, dt)
	case []int16:
		return t, narrow(d, c.IntContents, math.MinInt16, math.MaxInt16, dt)
	case []int32:
		copy(d, c.IntContents)
	case []int64:
		copy(d, c.Int64Contents)
	case []uint8:
		return t, narrow(d, c.UintContents, 0, math.MaxUint8, dt)
	case []uint16:
		return t, narrow(d, c.UintContents, 0, math.MaxUint16, dt)
	case []uint32:
		copy(d, c.UintContents)
	case []uint64:
		copy(d, c.Uint64Contents)
	case []float32:
		copy(d, c.Fp32Contents)
	case []float64:
		copy(d, c.Fp64Contents)
	case []string:
		for i, b := range c.BytesContents {
			d[i] = string(b)
		}
	}
	return t, nil
}

// narrow copies wide elements into a smaller integer type, refusing values
// out of its range.
func narrow[N int8 | int16 | uint8 | uint16, W int32 | uint32](dst []N, src []W, lo, hi int64, dt tensor.DType) error {
	for i, v := range src {
		if int64(v) < lo || int64(v) > hi {
			return invalidf("element %d is %d, out of the range of %v", i, v, dt)
		}
		dst[i] = N(v)
	}
	return nil
}
