package conformance

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Tolerance bounds the difference between a float output and its expected
// value: |got - want| <= Atol + Rtol·|want|, as numpy's assert_allclose.
type Tolerance struct {
	Rtol, Atol float64
}

// DefaultTolerance is the ONNX backend test runner's default.
var DefaultTolerance = Tolerance{Rtol: 1e-3, Atol: 1e-7}

// CompareValues checks got against want: the same kind; for tensors the
// same element type and shape, floats within tol (NaN matching NaN,
// infinities exactly) and other types exactly; sequences element by
// element; maps by key, in any order; optionals both empty or both
// holding matching values. The error describes the first difference.
func CompareValues(got, want *onnx.Value, tol Tolerance) error {
	if got == nil {
		return fmt.Errorf("missing, want a %s", want.Kind)
	}
	if got.Kind != want.Kind {
		return fmt.Errorf("got a %s, want a %s", got.Kind, want.Kind)
	}
	switch want.Kind {
	case onnx.KindTensor:
		return CompareTensors(got.Tensor, want.Tensor, tol)
	case onnx.KindSequence:
		if len(got.Elems) != len(want.Elems) {
			return fmt.Errorf("sequence has %d elements, want %d", len(got.Elems), len(want.Elems))
		}
		for i := range want.Elems {
			if err := CompareValues(got.Elems[i], want.Elems[i], tol); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		return nil
	case onnx.KindMap:
		return compareMaps(got, want, tol)
	case onnx.KindOptional:
		switch {
		case got.Elem == nil && want.Elem == nil:
			return nil
		case want.Elem == nil:
			return fmt.Errorf("optional holds a value, want empty")
		case got.Elem == nil:
			return fmt.Errorf("optional is empty, want a value")
		}
		return CompareValues(got.Elem, want.Elem, tol)
	}
	return fmt.Errorf("cannot compare a %s", want.Kind)
}

func compareMaps(got, want *onnx.Value, tol Tolerance) error {
	if got.Keys == nil || want.Keys == nil {
		if got.Keys == nil && want.Keys == nil {
			return nil
		}
		return fmt.Errorf("map keys missing")
	}
	if got.Keys.DType() != want.Keys.DType() {
		return fmt.Errorf("map keys are %v, want %v", got.Keys.DType(), want.Keys.DType())
	}
	gk, wk := keyStrings(got.Keys), keyStrings(want.Keys)
	if len(gk) != len(wk) || len(got.Elems) != len(gk) || len(want.Elems) != len(wk) {
		return fmt.Errorf("map has %d entries, want %d", len(gk), len(wk))
	}
	index := make(map[string]int, len(gk))
	for i, k := range gk {
		index[k] = i
	}
	for i, k := range wk {
		j, ok := index[k]
		if !ok {
			return fmt.Errorf("map lacks key %s", k)
		}
		if err := CompareValues(got.Elems[j], want.Elems[i], tol); err != nil {
			return fmt.Errorf("key %s: %w", k, err)
		}
	}
	return nil
}

// keyStrings renders map keys for lookup.
func keyStrings(keys *tensor.Tensor) []string {
	if keys.DType() == tensor.String {
		out := slices.Clone(tensor.Data[string](keys))
		for i, s := range out {
			out[i] = fmt.Sprintf("%q", s)
		}
		return out
	}
	vals, _ := asFloats(keys)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = fmt.Sprint(int64(v))
	}
	return out
}

// CompareTensors checks a tensor output: same element type and shape,
// floats within tol, everything else exactly.
func CompareTensors(got, want *tensor.Tensor, tol Tolerance) error {
	if got == nil {
		return fmt.Errorf("missing, want %v", want)
	}
	if got.DType() != want.DType() || !slices.Equal(got.Shape(), want.Shape()) {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	if want.DType().IsFloat() {
		g, _ := asFloats(got)
		w, _ := asFloats(want)
		bits := 64
		if want.DType() != tensor.Float64 {
			bits = 32
		}
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, bits) }
		for i := range w {
			if !closeEnough(g[i], w[i], tol) {
				return fmt.Errorf("element %d (index %v): got %s, want %s (rtol %g, atol %g)",
					i, tensor.Unravel(i, want.Shape()), f(g[i]), f(w[i]), tol.Rtol, tol.Atol)
			}
		}
		return nil
	}
	switch w := want.Data().(type) {
	case []bool:
		return firstDiff(tensor.Data[bool](got), w, want.Shape())
	case []string:
		return firstDiff(tensor.Data[string](got), w, want.Shape())
	}
	g, ok1 := asInts(got)
	w, ok2 := asInts(want)
	if !ok1 || !ok2 {
		return fmt.Errorf("cannot compare %v tensors", want.DType())
	}
	return firstDiff(g, w, want.Shape())
}

func closeEnough(g, w float64, tol Tolerance) bool {
	switch {
	case math.IsNaN(w) || math.IsNaN(g):
		return math.IsNaN(w) && math.IsNaN(g)
	case math.IsInf(w, 0) || math.IsInf(g, 0):
		return g == w
	}
	return math.Abs(g-w) <= tol.Atol+tol.Rtol*math.Abs(w)
}

func firstDiff[T comparable](g, w []T, shape []int) error {
	for i := range w {
		if g[i] != w[i] {
			return fmt.Errorf("element %d (index %v): got %v, want %v", i, tensor.Unravel(i, shape), g[i], w[i])
		}
	}
	return nil
}

// asFloats converts a numeric tensor's elements to float64.
func asFloats(t *tensor.Tensor) ([]float64, bool) {
	switch d := t.Data().(type) {
	case []float32:
		return convert(d, func(v float32) float64 { return float64(v) }), true
	case []float64:
		return d, true
	case []uint16:
		if t.DType() == tensor.Float16 {
			return convert(d, func(v uint16) float64 { return float64(tensor.Float16ToFloat32(v)) }), true
		}
		return convert(d, func(v uint16) float64 { return float64(v) }), true
	}
	ints, ok := asInts(t)
	if !ok {
		return nil, false
	}
	return convert(ints, func(v int64) float64 { return float64(v) }), true
}

// asInts converts an integer tensor's elements to int64 (uint64 values
// above MaxInt64 wrap, which keeps them distinct).
func asInts(t *tensor.Tensor) ([]int64, bool) {
	switch d := t.Data().(type) {
	case []int8:
		return convert(d, func(v int8) int64 { return int64(v) }), true
	case []int16:
		return convert(d, func(v int16) int64 { return int64(v) }), true
	case []int32:
		return convert(d, func(v int32) int64 { return int64(v) }), true
	case []int64:
		return d, true
	case []uint8:
		return convert(d, func(v uint8) int64 { return int64(v) }), true
	case []uint16:
		if t.DType() == tensor.Float16 {
			return nil, false
		}
		return convert(d, func(v uint16) int64 { return int64(v) }), true
	case []uint32:
		return convert(d, func(v uint32) int64 { return int64(v) }), true
	case []uint64:
		return convert(d, func(v uint64) int64 { return int64(v) }), true
	}
	return nil, false
}

func convert[S, D any](s []S, f func(S) D) []D {
	out := make([]D, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}
