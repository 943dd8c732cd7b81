package native

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/inferd/inferd/tensor"
)

// Casts between strings and numbers, and bfloat16 rounding.

// castFromStrings parses every string as a number ("NaN", "INF", "-INF"
// and "Infinity" in any case included) and converts it to type to.
func castFromStrings(rc *runCtx, x *tensor.Tensor, to tensor.DType, out []*tensor.Tensor) error {
	src := tensor.Data[string](x)
	vals := make([]float64, len(src))
	for i, s := range src {
		v, err := parseNumber(s)
		if err != nil {
			return fmt.Errorf("Cast: %w", err)
		}
		vals[i] = v
	}
	y := rc.alloc(to, x.Shape())
	if to == tensor.Float16 {
		f := make([]float32, len(vals))
		castSlice(f, vals)
		floatsToHalfs(tensor.Data[uint16](y), f)
	} else {
		castSlice(y.Data(), vals)
	}
	out[0] = y
	return nil
}

func parseNumber(s string) (float64, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "nan", "+nan", "-nan":
		return math.NaN(), nil
	case "inf", "+inf", "infinity", "+infinity":
		return math.Inf(1), nil
	case "-inf", "-infinity":
		return math.Inf(-1), nil
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("cannot parse %q as a number", s)
	}
	return v, nil
}

// castToStrings formats numbers in their shortest form for their type
// (float32 as float32), bools as "1" and "0".
func castToStrings(x *tensor.Tensor, out []*tensor.Tensor) error {
	y := tensor.New(tensor.String, x.Shape()...)
	dst := tensor.Data[string](y)
	format := func(v float64, bits int) string {
		switch {
		case math.IsNaN(v):
			return "NaN"
		case math.IsInf(v, 1):
			return "INF"
		case math.IsInf(v, -1):
			return "-INF"
		}
		return strconv.FormatFloat(v, 'g', -1, bits)
	}
	switch d := x.Data().(type) {
	case []float32:
		for i, v := range d {
			dst[i] = format(float64(v), 32)
		}
	case []float64:
		for i, v := range d {
			dst[i] = format(v, 64)
		}
	case []uint16:
		if x.DType() != tensor.Float16 {
			for i, v := range d {
				dst[i] = strconv.FormatUint(uint64(v), 10)
			}
			break
		}
		for i, v := range d {
			dst[i] = format(float64(tensor.Float16ToFloat32(v)), 32)
		}
	case []bool:
		for i, v := range d {
			dst[i] = map[bool]string{true: "1", false: "0"}[v]
		}
	default:
		vals, err := int64sOfAny(x)
		if err != nil {
			return fmt.Errorf("Cast: %w", err)
		}
		for i, v := range vals {
			dst[i] = v
		}
	}
	out[0] = y
	return nil
}

// int64sOfAny formats the values of an integer tensor exactly.
func int64sOfAny(x *tensor.Tensor) ([]string, error) {
	out := make([]string, x.Len())
	switch d := x.Data().(type) {
	case []int8:
		for i, v := range d {
			out[i] = strconv.FormatInt(int64(v), 10)
		}
	case []int16:
		for i, v := range d {
			out[i] = strconv.FormatInt(int64(v), 10)
		}
	case []int32:
		for i, v := range d {
			out[i] = strconv.FormatInt(int64(v), 10)
		}
	case []int64:
		for i, v := range d {
			out[i] = strconv.FormatInt(v, 10)
		}
	case []uint8:
		for i, v := range d {
			out[i] = strconv.FormatUint(uint64(v), 10)
		}
	case []uint32:
		for i, v := range d {
			out[i] = strconv.FormatUint(uint64(v), 10)
		}
	case []uint64:
		for i, v := range d {
			out[i] = strconv.FormatUint(v, 10)
		}
	default:
		return nil, fmt.Errorf("cannot format %v values", x.DType())
	}
	return out, nil
}

// roundBFloat16 reduces a float32 to bfloat16 precision by truncating
// the low 16 bits, as the ONNX reference implementation (and the backend
// test suite of ONNX 1.12) does.
func roundBFloat16(f float32) float32 {
	return math.Float32frombits(math.Float32bits(f) &^ 0xffff)
}
