package conformance

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Tolerance bounds the difference between a float output and its expected
// value: |got - want| <= ATol + RTol·|want|, as numpy's assert_allclose.
type Tolerance = tensor.Tolerance

// DefaultTolerance is the ONNX backend test runner's default (NaN matching
// NaN, as assert_allclose's equal_nan).
var DefaultTolerance = Tolerance{RTol: 1e-3, ATol: 1e-7, NaNEqual: true}

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

// keyStrings renders map keys (strings or integers) for lookup.
func keyStrings(keys *tensor.Tensor) []string {
	if keys.DType() == tensor.String {
		out := slices.Clone(tensor.Data[string](keys))
		for i, s := range out {
			out[i] = fmt.Sprintf("%q", s)
		}
		return out
	}
	v := reflect.ValueOf(keys.Data())
	out := make([]string, v.Len())
	for i := range out {
		out[i] = fmt.Sprint(v.Index(i).Interface())
	}
	return out
}

// CompareTensors checks a tensor output with tensor.Compare: same element
// type and shape, floats within tol, everything else exactly.
func CompareTensors(got, want *tensor.Tensor, tol Tolerance) error {
	_, err := tensor.Compare(got, want, tol)
	return err
}
