package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
)

// tensorLabel names a tensor in error messages.
func tensorLabel(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return fmt.Sprintf("%q", name)
}

// shapeOf converts ONNX dims to a shape, rejecting negative dimensions and
// shapes whose element count exceeds what a tensor may hold.
func shapeOf(dims []int64) ([]int, error) {
	shape := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension %d in dims %v", d, dims)
		}
		if d > math.MaxInt32 {
			return nil, fmt.Errorf("dimension %d in dims %v is too large", d, dims)
		}
		shape[i] = int(d)
	}
	if err := tensor.CheckShape(shape); err != nil {
		return nil, err
	}
	return shape, nil
}

// rawSize is the size in bytes of one element of ONNX type code in raw_data.
// elemBytes is the memory one decoded element of dt takes; strings count
// their header.
func elemBytes(dt tensor.DType) int64 {
	if dt == tensor.String {
		return 16
	}
	return int64(dt.Size())
}

func rawSize(code int32, dt tensor.DType) int {
	if code == bfloat16 {
		return 2
	}
	return dt.Size()
}

// tensor converts a TensorProto; errors name the tensor.
func (d *decoder) tensor(tp *onnxpb.TensorProto) (*tensor.Tensor, error) {
	if tp == nil {
		return nil, fmt.Errorf("missing tensor")
	}
	t, err := d.tensorData(tp)
	if err != nil {
		return nil, fmt.Errorf("tensor %s: %w", tensorLabel(tp.GetName()), err)
	}
	return t, nil
}

func (d *decoder) tensorData(tp *onnxpb.TensorProto) (*tensor.Tensor, error) {
	if tp.Segment != nil {
		return nil, fmt.Errorf("segmented tensors are not supported")
	}
	shape, err := shapeOf(tp.GetDims())
	if err != nil {
		return nil, err
	}
	n := tensor.NumElements(shape)
	code := tp.GetDataType()
	dt, err := toDType(code, false)
	if err != nil {
		return nil, err
	}
	if err := d.charge(int64(n) * elemBytes(dt)); err != nil {
		return nil, err
	}
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		if dt == tensor.String {
			return nil, fmt.Errorf("STRING tensors cannot use external data")
		}
		raw, err := d.external(tp.GetExternalData(), int64(n)*int64(rawSize(code, dt)))
		if err != nil {
			return nil, err
		}
		return fromRaw(code, dt, raw, shape)
	}
	if len(tp.GetRawData()) > 0 {
		if dt == tensor.String {
			return nil, fmt.Errorf("STRING tensors cannot use raw_data")
		}
		return fromRaw(code, dt, tp.GetRawData(), shape)
	}
	return fromTyped(tp, code, dt, shape)
}

// fromRaw decodes little-endian raw bytes into a tensor of shape.
func fromRaw(code int32, dt tensor.DType, raw []byte, shape []int) (*tensor.Tensor, error) {
	n := tensor.NumElements(shape)
	size := rawSize(code, dt)
	if want := int64(n) * int64(size); int64(len(raw)) != want {
		return nil, fmt.Errorf("raw data holds %d bytes, but %s dims %v need %d", len(raw), dtypeName(code), shape, want)
	}
	switch {
	case code == bfloat16:
		bits := le[uint16](raw, n)
		out := make([]float32, n)
		for i, b := range bits {
			out[i] = math.Float32frombits(uint32(b) << 16)
		}
		return tensor.FromSlice(out, shape...)
	case dt == tensor.Bool:
		out := make([]bool, n)
		for i, b := range raw {
			out[i] = b != 0
		}
		return tensor.FromSlice(out, shape...)
	case dt == tensor.Float16:
		return tensor.FromFloat16Bits(le[uint16](raw, n), shape...)
	case dt == tensor.Uint8:
		return tensor.FromSlice(le[uint8](raw, n), shape...)
	case dt == tensor.Int8:
		return tensor.FromSlice(le[int8](raw, n), shape...)
	case dt == tensor.Uint16:
		return tensor.FromSlice(le[uint16](raw, n), shape...)
	case dt == tensor.Int16:
		return tensor.FromSlice(le[int16](raw, n), shape...)
	case dt == tensor.Uint32:
		return tensor.FromSlice(le[uint32](raw, n), shape...)
	case dt == tensor.Int32:
		return tensor.FromSlice(le[int32](raw, n), shape...)
	case dt == tensor.Uint64:
		return tensor.FromSlice(le[uint64](raw, n), shape...)
	case dt == tensor.Int64:
		return tensor.FromSlice(le[int64](raw, n), shape...)
	case dt == tensor.Float32:
		return tensor.FromSlice(le[float32](raw, n), shape...)
	case dt == tensor.Float64:
		return tensor.FromSlice(le[float64](raw, n), shape...)
	}
	return nil, fmt.Errorf("unsupported data type %s in raw data", dtypeName(code))
}

// le decodes n little-endian fixed-size values; the caller has checked that
// raw holds exactly n of them.
func le[T uint8 | int8 | uint16 | int16 | uint32 | int32 | uint64 | int64 | float32 | float64](raw []byte, n int) []T {
	out := make([]T, n)
	if n > 0 {
		if _, err := binary.Decode(raw, binary.LittleEndian, out); err != nil {
			panic(fmt.Sprintf("onnx: decoding %d checked raw bytes: %v", len(raw), err))
		}
	}
	return out
}

// fromTyped decodes a tensor from the repeated field its type uses. As the
// ONNX spec says, int32_data also carries INT8, INT16, UINT8, UINT16, BOOL,
// FLOAT16 and BFLOAT16 values, and uint64_data carries UINT32.
func fromTyped(tp *onnxpb.TensorProto, code int32, dt tensor.DType, shape []int) (*tensor.Tensor, error) {
	n := tensor.NumElements(shape)
	count := func(field string, got int) error {
		if got != n {
			return fmt.Errorf("%s holds %d values, but %s dims %v need %d", field, got, dtypeName(code), shape, n)
		}
		return nil
	}
	i32 := tp.GetInt32Data()
	switch {
	case dt == tensor.String:
		if err := count("string_data", len(tp.GetStringData())); err != nil {
			return nil, err
		}
		out := make([]string, n)
		for i, s := range tp.GetStringData() {
			out[i] = string(s)
		}
		return tensor.FromSlice(out, shape...)
	case code == bfloat16:
		if err := count("int32_data", len(i32)); err != nil {
			return nil, err
		}
		out := make([]float32, n)
		for i, v := range i32 {
			out[i] = math.Float32frombits(uint32(uint16(v)) << 16)
		}
		return tensor.FromSlice(out, shape...)
	case dt == tensor.Float32:
		if err := count("float_data", len(tp.GetFloatData())); err != nil {
			return nil, err
		}
		return tensor.FromSlice(tp.GetFloatData(), shape...)
	case dt == tensor.Float64:
		if err := count("double_data", len(tp.GetDoubleData())); err != nil {
			return nil, err
		}
		return tensor.FromSlice(tp.GetDoubleData(), shape...)
	case dt == tensor.Int64:
		if err := count("int64_data", len(tp.GetInt64Data())); err != nil {
			return nil, err
		}
		return tensor.FromSlice(tp.GetInt64Data(), shape...)
	case dt == tensor.Uint64:
		if err := count("uint64_data", len(tp.GetUint64Data())); err != nil {
			return nil, err
		}
		return tensor.FromSlice(tp.GetUint64Data(), shape...)
	case dt == tensor.Uint32:
		if err := count("uint64_data", len(tp.GetUint64Data())); err != nil {
			return nil, err
		}
		return tensor.FromSlice(castAll[uint32](tp.GetUint64Data()), shape...)
	}
	// Everything else travels in int32_data.
	if err := count("int32_data", len(i32)); err != nil {
		return nil, err
	}
	switch dt {
	case tensor.Int32:
		return tensor.FromSlice(i32, shape...)
	case tensor.Int16:
		return tensor.FromSlice(castAll[int16](i32), shape...)
	case tensor.Int8:
		return tensor.FromSlice(castAll[int8](i32), shape...)
	case tensor.Uint16:
		return tensor.FromSlice(castAll[uint16](i32), shape...)
	case tensor.Uint8:
		return tensor.FromSlice(castAll[uint8](i32), shape...)
	case tensor.Float16:
		return tensor.FromFloat16Bits(castAll[uint16](i32), shape...)
	case tensor.Bool:
		out := make([]bool, n)
		for i, v := range i32 {
			out[i] = v != 0
		}
		return tensor.FromSlice(out, shape...)
	}
	return nil, fmt.Errorf("unsupported data type %s", dtypeName(code))
}

// castAll converts integers element by element (truncating, as C casts do).
func castAll[D, S int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](src []S) []D {
	out := make([]D, len(src))
	for i, v := range src {
		out[i] = D(v)
	}
	return out
}
