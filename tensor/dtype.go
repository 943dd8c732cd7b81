package tensor

import (
	"fmt"
	"strings"
)

// DType is the element type of a tensor.
type DType uint8

// The element types. Their String form is the Open Inference Protocol name
// (FP32, INT64, BYTES, ...), which is also what config.yaml uses.
const (
	Invalid DType = iota
	Bool
	Uint8
	Uint16
	Uint32
	Uint64
	Int8
	Int16
	Int32
	Int64
	Float16 // stored as raw IEEE 754 half-precision bits in a []uint16
	Float32
	Float64
	String // BYTES in the Open Inference Protocol; stored as []string
)

var dtypeNames = [...]string{
	Invalid: "INVALID",
	Bool:    "BOOL",
	Uint8:   "UINT8",
	Uint16:  "UINT16",
	Uint32:  "UINT32",
	Uint64:  "UINT64",
	Int8:    "INT8",
	Int16:   "INT16",
	Int32:   "INT32",
	Int64:   "INT64",
	Float16: "FP16",
	Float32: "FP32",
	Float64: "FP64",
	String:  "BYTES",
}

// String returns the Open Inference Protocol name of d.
func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size is the size in bytes of one element, or 0 for String and Invalid.
func (d DType) Size() int {
	switch d {
	case Bool, Uint8, Int8:
		return 1
	case Uint16, Int16, Float16:
		return 2
	case Uint32, Int32, Float32:
		return 4
	case Uint64, Int64, Float64:
		return 8
	}
	return 0
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == Float16 || d == Float32 || d == Float64 }

// IsInteger reports whether d is a signed or unsigned integer type.
func (d DType) IsInteger() bool { return d >= Uint8 && d <= Int64 }

// ParseDType parses an Open Inference Protocol datatype name such as "FP32",
// case-insensitively.
func ParseDType(s string) (DType, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for d, name := range dtypeNames {
		if d != int(Invalid) && name == u {
			return DType(d), nil
		}
	}
	return Invalid, fmt.Errorf("unknown datatype %q (want one of %s)", s, strings.Join(dtypeNames[1:], ", "))
}

// MarshalText implements encoding.TextMarshaler.
func (d DType) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *DType) UnmarshalText(b []byte) error {
	v, err := ParseDType(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
