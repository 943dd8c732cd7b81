package tensor

import (
	"bytes"
	"strconv"
	"unsafe"

	"github.com/inferd/inferd/internal/jsonnum"
)

// The direct decoder: nested arrays of plain numbers or booleans parsed
// straight into the typed slice, without encoding/json's []any of
// json.Number. It accepts only what the general decoder (slowFromJSON)
// decodes without error, and decodes it to the same tensor; anything else
// (strings, objects, null, ragged arrays, numbers that do not fit the type
// or are not of its form, data after the value) it declines, and the
// general decoder decides, with its own errors.

// maxFastDepth is the deepest nesting the direct decoder takes.
const maxFastDepth = 64

// jsonScan is the direct decoder's position in a JSON value, and the
// shape it has found so far (-1 for a dimension whose first array has not
// closed yet).
type jsonScan struct {
	b     []byte
	i     int
	shape []int
}

// fastFromJSON decodes raw like slowFromJSON for every type but String;
// ok is false when it declines.
func fastFromJSON(raw []byte, dt DType) (t *Tensor, ok bool) {
	switch dt {
	case Bool:
		return fastDecode(raw, dt, parseJSONBool)
	case Uint8:
		return fastDecode(raw, dt, parseJSONUint[uint8])
	case Uint16:
		return fastDecode(raw, dt, parseJSONUint[uint16])
	case Uint32:
		return fastDecode(raw, dt, parseJSONUint[uint32])
	case Uint64:
		return fastDecode(raw, dt, parseJSONUint[uint64])
	case Int8:
		return fastDecode(raw, dt, parseJSONInt[int8])
	case Int16:
		return fastDecode(raw, dt, parseJSONInt[int16])
	case Int32:
		return fastDecode(raw, dt, parseJSONInt[int32])
	case Int64:
		return fastDecode(raw, dt, parseJSONInt[int64])
	case Float16:
		return fastDecode(raw, dt, parseJSONFloat16)
	case Float32:
		return fastDecode(raw, dt, parseJSONFloat32)
	case Float64:
		return fastDecode(raw, dt, parseJSONFloat64)
	}
	return nil, false
}

// fastDecode decodes raw's nested arrays with leaf parsing each element.
func fastDecode[T Elem](raw []byte, dt DType, leaf func([]byte) (T, bool)) (*Tensor, bool) {
	s := &jsonScan{b: raw}
	nd, ok := s.leafDepth()
	if !ok {
		return nil, false
	}
	if nd > 0 {
		s.shape = make([]int, nd)
		for i := range s.shape {
			s.shape[i] = -1
		}
	}
	// A string anywhere (a leaf, or an object's key) is declined below
	// anyway: decline it before allocating, since its commas would count.
	if bytes.IndexByte(raw, '"') >= 0 {
		return nil, false
	}
	// Every element but the first of an array follows a comma, and the
	// elements are all at one depth: commas + 1 bounds them, and so does
	// half the length (an element and its comma take two bytes at least).
	data := make([]T, 0, min(bytes.Count(raw, []byte{','})+1, len(raw)/2+1))
	data, ok = scanNested(s, 0, data, leaf)
	if !ok {
		return nil, false
	}
	s.ws()
	if s.i != len(s.b) || checkShape(s.shape) != nil || NumElements(s.shape) != len(data) {
		return nil, false
	}
	return withData(dt, s.shape, data), true
}

// leafDepth counts the arrays that open the value, each the first
// element of the one before: the depth of its elements.
func (s *jsonScan) leafDepth() (int, bool) {
	n := 0
	for i := 0; i < len(s.b); i++ {
		switch s.b[i] {
		case ' ', '\t', '\n', '\r':
		case '[':
			if n++; n > maxFastDepth {
				return 0, false
			}
		default:
			return n, true
		}
	}
	return 0, false
}

// ws skips white space.
func (s *jsonScan) ws() {
	s.i = jsonnum.SkipSpace(s.b, s.i)
}

// token is the plain value (number or literal) at the position: the
// bytes up to the next white space, comma or closing bracket.
func (s *jsonScan) token() []byte {
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r', ',', ']':
			return s.b[start:s.i]
		}
		s.i++
	}
	return s.b[start:]
}

// scanNested appends the elements of the value at depth to out: a leaf
// at the shape's depth, else an array whose length must be the one the
// first array at its depth had.
func scanNested[T Elem](s *jsonScan, depth int, out []T, leaf func([]byte) (T, bool)) ([]T, bool) {
	s.ws()
	if depth == len(s.shape) {
		x, ok := leaf(s.token())
		return append(out, x), ok
	}
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return out, false
	}
	s.i++
	s.ws()
	n := 0
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
	} else {
		for {
			var ok bool
			if out, ok = scanNested(s, depth+1, out, leaf); !ok {
				return out, false
			}
			n++
			s.ws()
			if s.i >= len(s.b) {
				return out, false
			}
			c := s.b[s.i]
			s.i++
			if c == ']' {
				break
			}
			if c != ',' {
				return out, false
			}
		}
	}
	if s.shape[depth] < 0 {
		s.shape[depth] = n
	}
	return out, s.shape[depth] == n
}

// jsonInteger reports whether b is a JSON number without fraction or
// exponent, and returns its digits and sign.
func jsonInteger(b []byte) (digits []byte, neg, ok bool) {
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 || (b[0] == '0' && len(b) > 1) {
		return nil, false, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return nil, false, false
		}
	}
	return b, neg, true
}

// parseDigits is the value of at most 19 decimal digits.
func parseDigits(d []byte) (uint64, bool) {
	if len(d) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range d {
		u = u*10 + uint64(c-'0')
	}
	return u, true
}

// parseJSONInt parses a signed integer of T's range, as strconv.ParseInt
// would for the JSON number.
func parseJSONInt[T int8 | int16 | int32 | int64](b []byte) (T, bool) {
	d, neg, ok := jsonInteger(b)
	if !ok {
		return 0, false
	}
	u, ok := parseDigits(d)
	limit := uint64(1)<<(unsafe.Sizeof(T(0))*8-1) - 1
	switch {
	case !ok:
		return 0, false
	case neg && u <= limit+1:
		return T(-int64(u)), true // -2^63 wraps to itself
	case !neg && u <= limit:
		return T(u), true
	}
	return 0, false
}

// parseJSONUint parses an unsigned integer of T's range, as
// strconv.ParseUint would for the JSON number (which refuses a sign).
func parseJSONUint[T uint8 | uint16 | uint32 | uint64](b []byte) (T, bool) {
	d, neg, ok := jsonInteger(b)
	if !ok || neg {
		return 0, false
	}
	u, ok := parseDigits(d)
	if !ok || (unsafe.Sizeof(T(0)) < 8 && u >= uint64(1)<<(unsafe.Sizeof(T(0))*8)) {
		return 0, false
	}
	return T(u), true
}

// parseJSONNumber parses a JSON number as strconv.ParseFloat does with bits.
func parseJSONNumber(b []byte, bits int) (float64, bool) {
	if !jsonnum.Valid(b) {
		return 0, false
	}
	// b is only read during the call, and ParseFloat's errors copy it.
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), bits)
	return f, err == nil
}

func parseJSONFloat64(b []byte) (float64, bool) { return parseJSONNumber(b, 64) }

func parseJSONFloat32(b []byte) (float32, bool) {
	f, ok := parseJSONNumber(b, 32)
	return float32(f), ok
}

func parseJSONFloat16(b []byte) (uint16, bool) {
	f, ok := parseJSONNumber(b, 32)
	return Float32ToFloat16(float32(f)), ok
}

func parseJSONBool(b []byte) (bool, bool) {
	switch string(b) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
