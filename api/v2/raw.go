package v2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/inferd/inferd/tensor"
)

// ErrInvalid marks tensor data that does not match its datatype or shape.
// Servers answer it with 400 (InvalidArgument over gRPC).
var ErrInvalid = errors.New("invalid tensor")

// invalidError is an ErrInvalid with its own message.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// Shape converts a wire shape to a tensor shape, refusing negative
// dimensions and element counts beyond what a tensor may hold.
func Shape(dims []int64) ([]int, error) {
	shape := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 || d > math.MaxInt32 {
			return nil, invalidf("shape %v: dimension %d is out of range", dims, d)
		}
		shape[i] = int(d)
	}
	if err := tensor.CheckShape(shape); err != nil {
		return nil, invalidf("%v", err)
	}
	return shape, nil
}

// WireShape converts a tensor shape to a wire shape.
func WireShape(shape []int) []int64 {
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	return dims
}

// RawSize is the size of t in the binary format.
func RawSize(t *tensor.Tensor) int {
	if t.DType() == tensor.String {
		return 4*t.Len() + t.Bytes()
	}
	return t.Bytes()
}

// AppendRaw appends t's elements to buf in the binary format: flattened in
// row-major order, little-endian, each BYTES element preceded by its length
// as a 4-byte little-endian integer. BOOL elements are one byte, 0 or 1;
// FP16 elements are their IEEE 754 half-precision bits.
func AppendRaw(buf []byte, t *tensor.Tensor) []byte {
	le := binary.LittleEndian
	switch d := t.Data().(type) {
	case []bool:
		for _, v := range d {
			b := byte(0)
			if v {
				b = 1
			}
			buf = append(buf, b)
		}
	case []uint8:
		buf = append(buf, d...)
	case []int8:
		for _, v := range d {
			buf = append(buf, byte(v))
		}
	case []uint16:
		for _, v := range d {
			buf = le.AppendUint16(buf, v)
		}
	case []int16:
		for _, v := range d {
			buf = le.AppendUint16(buf, uint16(v))
		}
	case []uint32:
		for _, v := range d {
			buf = le.AppendUint32(buf, v)
		}
	case []int32:
		for _, v := range d {
			buf = le.AppendUint32(buf, uint32(v))
		}
	case []uint64:
		for _, v := range d {
			buf = le.AppendUint64(buf, v)
		}
	case []int64:
		for _, v := range d {
			buf = le.AppendUint64(buf, uint64(v))
		}
	case []float32:
		for _, v := range d {
			buf = le.AppendUint32(buf, math.Float32bits(v))
		}
	case []float64:
		for _, v := range d {
			buf = le.AppendUint64(buf, math.Float64bits(v))
		}
	case []string:
		for _, v := range d {
			buf = le.AppendUint32(buf, uint32(len(v)))
			buf = append(buf, v...)
		}
	}
	return buf
}

// DecodeRaw decodes b, in the binary format, into a tensor of type dt and
// the given shape. The size of b must be exactly what the shape and type
// need; errors wrap ErrInvalid and say what is wrong. The tensor does not
// share memory with b.
func DecodeRaw(dt tensor.DType, shape []int, b []byte) (*tensor.Tensor, error) {
	if err := tensor.CheckShape(shape); err != nil {
		return nil, invalidf("%v", err)
	}
	n := tensor.NumElements(shape)
	if dt == tensor.String {
		return decodeRawStrings(shape, n, b)
	}
	size := dt.Size()
	if size == 0 {
		return nil, invalidf("datatype %v has no binary form", dt)
	}
	if len(b) != n*size {
		return nil, invalidf("%d bytes of data for %v%v, which needs %d (%d elements of %d bytes)", len(b), dt, shape, n*size, n, size)
	}
	t := tensor.New(dt, shape...)
	le := binary.LittleEndian
	switch d := t.Data().(type) {
	case []bool:
		for i, v := range b {
			if v > 1 {
				return nil, invalidf("BOOL element %d is byte %d, not 0 or 1", i, v)
			}
			d[i] = v == 1
		}
	case []uint8:
		copy(d, b)
	case []int8:
		for i, v := range b {
			d[i] = int8(v)
		}
	case []uint16:
		for i := range d {
			d[i] = le.Uint16(b[2*i:])
		}
	case []int16:
		for i := range d {
			d[i] = int16(le.Uint16(b[2*i:]))
		}
	case []uint32:
		for i := range d {
			d[i] = le.Uint32(b[4*i:])
		}
	case []int32:
		for i := range d {
			d[i] = int32(le.Uint32(b[4*i:]))
		}
	case []uint64:
		for i := range d {
			d[i] = le.Uint64(b[8*i:])
		}
	case []int64:
		for i := range d {
			d[i] = int64(le.Uint64(b[8*i:]))
		}
	case []float32:
		for i := range d {
			d[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case []float64:
		for i := range d {
			d[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
	}
	return t, nil
}

func decodeRawStrings(shape []int, n int, b []byte) (*tensor.Tensor, error) {
	if n > len(b)/4 { // checked before allocating: each element needs 4 bytes
		return nil, invalidf("%d bytes of data cannot hold the %d BYTES elements of shape %v (each needs a 4-byte length)", len(b), n, shape)
	}
	data := make([]string, n)
	off := 0
	for i := range data {
		if len(b)-off < 4 {
			return nil, invalidf("BYTES element %d: the data ends before its 4-byte length (at byte %d of %d)", i, off, len(b))
		}
		l := binary.LittleEndian.Uint32(b[off:])
		off += 4
		if uint64(l) > uint64(len(b)-off) {
			return nil, invalidf("BYTES element %d: length %d at byte %d overruns the %d bytes of data", i, l, off-4, len(b))
		}
		data[i] = string(b[off : off+int(l)])
		off += int(l)
	}
	if off != len(b) {
		return nil, invalidf("%d bytes left over after the %d BYTES elements of shape %v", len(b)-off, n, shape)
	}
	return tensor.FromSlice(data, shape...)
}

// quote is strconv.Quote, for error messages.
var quote = strconv.Quote
