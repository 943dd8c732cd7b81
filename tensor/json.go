package tensor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrJSON marks tensors that cannot be decoded from JSON.
var ErrJSON = errors.New("bad JSON tensor")

// FromJSON decodes a JSON value — a number, bool or string, or arrays of
// them nested to any depth — into a tensor of type dt whose shape is the
// nesting. Float elements may also be the strings "NaN", "Infinity" and
// "-Infinity" (CheckFinite rejects them where they are not allowed). Errors
// wrap ErrJSON and say which element is wrong.
func FromJSON(raw json.RawMessage, dt DType) (*Tensor, error) {
	return fromJSON(raw, dt, nil)
}

// StringsFromJSON decodes a JSON value into a String tensor like FromJSON,
// with leaf turning each element into its string: protocols whose strings
// may also be objects, such as TF Serving's {"b64": "..."}.
func StringsFromJSON(raw json.RawMessage, leaf func(v any) (string, error)) (*Tensor, error) {
	return fromJSON(raw, String, leaf)
}

func fromJSON(raw json.RawMessage, dt DType, leaf func(any) (string, error)) (*Tensor, error) {
	if leaf == nil {
		if t, ok := fastFromJSON(raw, dt); ok {
			return t, nil
		}
	}
	return slowFromJSON(raw, dt, leaf)
}

// slowFromJSON decodes through encoding/json: every value the direct
// decoder (fastFromJSON) declines, and the errors.
func slowFromJSON(raw json.RawMessage, dt DType, leaf func(any) (string, error)) (*Tensor, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrJSON, err)
	}
	var shape []int
	for cur := v; ; {
		arr, ok := cur.([]any)
		if !ok {
			break
		}
		shape = append(shape, len(arr))
		if len(arr) == 0 {
			break
		}
		cur = arr[0]
	}
	if err := checkShape(shape); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrJSON, err)
	}
	// The shape comes from the first element at each depth, so a small
	// ragged body could declare a huge one: the nesting is checked before
	// the tensor is allocated, which bounds it by the values present.
	f := &flattener{shape: shape, leaf: leaf}
	if err := f.walk(v, 0); err != nil {
		return nil, err
	}
	f.t, f.pos = New(dt, shape...), 0
	if err := f.walk(v, 0); err != nil {
		return nil, err
	}
	return f.t, nil
}

type flattener struct {
	t     *Tensor // nil while the nesting is being checked
	shape []int
	leaf  func(any) (string, error) // for String elements; nil: JSON strings only
	pos   int
	path  []int
}

func (f *flattener) where() string {
	s := ""
	for _, i := range f.path {
		s += fmt.Sprintf("[%d]", i)
	}
	if s == "" {
		return "value"
	}
	return "element " + s
}

func (f *flattener) walk(v any, depth int) error {
	if depth < len(f.shape) {
		arr, ok := v.([]any)
		if !ok || len(arr) != f.shape[depth] {
			return fmt.Errorf("%w: ragged array: %s should be an array of %d, the shape being %v", ErrJSON, f.where(), f.shape[depth], f.shape)
		}
		for i, e := range arr {
			f.path = append(f.path, i)
			if err := f.walk(e, depth+1); err != nil {
				return err
			}
			f.path = f.path[:len(f.path)-1]
		}
		return nil
	}
	if _, ok := v.([]any); ok {
		return fmt.Errorf("%w: ragged array: %s is an array where a value was expected, the shape being %v", ErrJSON, f.where(), f.shape)
	}
	if f.t == nil { // the first pass checks the nesting only
		return nil
	}
	if err := f.set(v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrJSON, f.where(), err)
	}
	f.pos++
	return nil
}

func (f *flattener) set(v any) error {
	i := f.pos
	switch d := f.t.data.(type) {
	case []float32:
		x, err := jsonFloat(v, 32)
		d[i] = float32(x)
		return err
	case []float64:
		x, err := jsonFloat(v, 64)
		d[i] = x
		return err
	case []bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("%s is not a boolean", describe(v))
		}
		d[i] = b
	case []string:
		if f.leaf != nil {
			s, err := f.leaf(v)
			d[i] = s
			return err
		}
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s is not a string", describe(v))
		}
		d[i] = s
	case []int8:
		x, err := jsonInt(v, 8)
		d[i] = int8(x)
		return err
	case []int16:
		x, err := jsonInt(v, 16)
		d[i] = int16(x)
		return err
	case []int32:
		x, err := jsonInt(v, 32)
		d[i] = int32(x)
		return err
	case []int64:
		x, err := jsonInt(v, 64)
		d[i] = x
		return err
	case []uint8:
		x, err := jsonUint(v, 8)
		d[i] = uint8(x)
		return err
	case []uint16:
		if f.t.dtype == Float16 {
			x, err := jsonFloat(v, 32)
			d[i] = Float32ToFloat16(float32(x))
			return err
		}
		x, err := jsonUint(v, 16)
		d[i] = uint16(x)
		return err
	case []uint32:
		x, err := jsonUint(v, 32)
		d[i] = uint32(x)
		return err
	case []uint64:
		x, err := jsonUint(v, 64)
		d[i] = x
		return err
	}
	return nil
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case json.Number:
		return "number " + x.String()
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%v", v)
}

func jsonFloat(v any, bits int) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), bits)
		if err != nil {
			return 0, fmt.Errorf("number %s is out of range for FP%d", x, bits)
		}
		return f, nil
	case string:
		switch x {
		case "NaN", "nan":
			return math.NaN(), nil
		case "Infinity", "inf", "Inf", "+Infinity":
			return math.Inf(1), nil
		case "-Infinity", "-inf", "-Inf":
			return math.Inf(-1), nil
		}
	}
	return 0, fmt.Errorf("%s is not a number", describe(v))
}

func jsonInt(v any, bits int) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s is not an integer", describe(v))
	}
	x, err := strconv.ParseInt(string(n), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("number %s is not an integer in the range of INT%d", n, bits)
	}
	return x, nil
}

func jsonUint(v any, bits int) (uint64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s is not an integer", describe(v))
	}
	x, err := strconv.ParseUint(string(n), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("number %s is not an integer in the range of UINT%d", n, bits)
	}
	return x, nil
}

// CheckFinite returns an error naming the first NaN or infinite element of a
// float tensor; other types always pass. Every request's inputs pass
// through it, so FP32 and FP64 data is first scanned without a call per
// element (v-v is 0 for every finite v, NaN for NaN and infinities).
func CheckFinite(t *Tensor) error {
	switch d := t.data.(type) {
	case []float32:
		if allFinite(d) {
			return nil
		}
	case []float64:
		if allFinite(d) {
			return nil
		}
	}
	check := func(i int, f float64) error {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("element %d (flat index) is %v", i, f)
		}
		return nil
	}
	switch d := t.data.(type) {
	case []float32:
		for i, v := range d {
			if err := check(i, float64(v)); err != nil {
				return err
			}
		}
	case []float64:
		for i, v := range d {
			if err := check(i, v); err != nil {
				return err
			}
		}
	case []uint16:
		if t.dtype == Float16 {
			for i, v := range d {
				if err := check(i, float64(Float16ToFloat32(v))); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// allFinite reports whether no element of xs is NaN or infinite.
func allFinite[T float32 | float64](xs []T) bool {
	var a, b, c, d T // four sums: no add waits for the one before
	for len(xs) >= 4 {
		a, b, c, d = a+(xs[0]-xs[0]), b+(xs[1]-xs[1]), c+(xs[2]-xs[2]), d+(xs[3]-xs[3])
		xs = xs[4:]
	}
	for _, v := range xs {
		a += v - v // stays 0 until an element is NaN or infinite, then NaN
	}
	return a+b+c+d == 0
}

// AppendJSON appends t as nested JSON arrays (a bare value for a scalar).
// Non-finite floats are written as the strings "NaN", "Infinity" and
// "-Infinity", which FromJSON reads back.
func AppendJSON(buf []byte, t *Tensor) []byte {
	if len(t.shape) == 0 {
		return t.appendElem(buf, 0)
	}
	return t.appendNested(buf, 0, 0)
}

// MarshalJSON implements json.Marshaler with AppendJSON.
func (t *Tensor) MarshalJSON() ([]byte, error) { return AppendJSON(nil, t), nil }

func (t *Tensor) appendNested(buf []byte, dim, offset int) []byte {
	buf = append(buf, '[')
	n := t.shape[dim]
	stride := NumElements(t.shape[dim+1:])
	for i := range n {
		if i > 0 {
			buf = append(buf, ',')
		}
		if dim == len(t.shape)-1 {
			buf = t.appendElem(buf, offset+i)
		} else {
			buf = t.appendNested(buf, dim+1, offset+i*stride)
		}
	}
	return append(buf, ']')
}

func appendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(buf, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(buf, `"-Infinity"`...)
	}
	return strconv.AppendFloat(buf, f, 'g', -1, bits)
}

func (t *Tensor) appendElem(buf []byte, i int) []byte {
	switch d := t.data.(type) {
	case []float32:
		return appendFloat(buf, float64(d[i]), 32)
	case []float64:
		return appendFloat(buf, d[i], 64)
	case []bool:
		return strconv.AppendBool(buf, d[i])
	case []string:
		b, _ := json.Marshal(d[i])
		return append(buf, b...)
	case []int8:
		return strconv.AppendInt(buf, int64(d[i]), 10)
	case []int16:
		return strconv.AppendInt(buf, int64(d[i]), 10)
	case []int32:
		return strconv.AppendInt(buf, int64(d[i]), 10)
	case []int64:
		return strconv.AppendInt(buf, d[i], 10)
	case []uint8:
		return strconv.AppendUint(buf, uint64(d[i]), 10)
	case []uint16:
		if t.dtype == Float16 {
			return appendFloat(buf, float64(Float16ToFloat32(d[i])), 32)
		}
		return strconv.AppendUint(buf, uint64(d[i]), 10)
	case []uint32:
		return strconv.AppendUint(buf, uint64(d[i]), 10)
	case []uint64:
		return strconv.AppendUint(buf, d[i], 10)
	}
	return append(buf, "null"...)
}
