package tensor

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Tolerance bounds how far a value may be from its reference: got matches
// want when |got - want| <= ATol + RTol·|want| (numpy's allclose, with want
// as the reference). It applies to floating-point elements; integers,
// booleans and strings must be equal. Infinities match only the same
// infinity. NaN matches NaN when NaNEqual is set (as the ONNX backend tests
// and numpy's equal_nan expect), and nothing otherwise. The zero Tolerance
// asks for exact equality (NaN never equal).
type Tolerance struct {
	RTol, ATol float64
	NaNEqual   bool
}

// Close reports whether the float got matches want under t: the element
// test of Compare.
func (t Tolerance) Close(got, want float64) bool {
	switch {
	case math.IsNaN(got) || math.IsNaN(want):
		return t.NaNEqual && math.IsNaN(got) && math.IsNaN(want)
	case math.IsInf(got, 0) || math.IsInf(want, 0):
		return got == want
	}
	return math.Abs(got-want) <= t.ATol+t.RTol*math.Abs(want)
}

// Diff describes how a tensor differs from its reference, as Compare
// found it.
type Diff struct {
	// Problem is set when the tensors cannot be compared element by
	// element: "missing" (got is nil), or a different dtype or shape
	// ("got FP32[3], want FP32[2]"). The other fields are then zero but
	// Elements and First.
	Problem string
	// Elements is the number of elements of want; Mismatches counts those
	// that do not match.
	Elements, Mismatches int
	// First is the flat (row-major) index of the first mismatch, -1 when
	// there is none; Got and Want are the elements there, formatted
	// ("1.5", "true", "\"abc\"").
	First     int
	Got, Want string
	// MaxAbs and MaxRel are the largest |got - want| and |got - want| /
	// |want| over the float elements (NaN differences, and equal
	// infinities, left out; MaxRel only where want is not 0). MaxRef is
	// the largest finite |want|, the scale they relate to. All are 0 for
	// other dtypes.
	MaxAbs, MaxRel, MaxRef float64
}

// OK reports whether got matched want.
func (d Diff) OK() bool { return d.Problem == "" && d.Mismatches == 0 }

// Compare compares got with its reference want under tol: the same dtype
// and shape, float elements (FP16 through their float32 values, FP32,
// FP64) within tol, every other dtype (BOOL, integers, BYTES strings)
// exactly. It looks at every element, so the Diff has the mismatch count
// and the largest differences as well as the first mismatch.
//
// The error is nil when got matches; otherwise it describes the first
// difference, as in
//
//	element 3 (index [0 3]): got 1.5, want 1.25 (2 of 10 elements differ, max abs diff 0.25, max rel diff 0.2; rtol 0.001, atol 1e-07)
//
// or "got FP32[3], want FP32[2]", or "missing, want FP32[2]".
func Compare(got, want *Tensor, tol Tolerance) (Diff, error) {
	d := Diff{First: -1}
	if want == nil {
		if got == nil {
			return d, nil
		}
		d.Problem = fmt.Sprintf("got %v, want nothing", got)
		return d, fmt.Errorf("%s", d.Problem)
	}
	d.Elements = want.Len()
	if got == nil {
		d.Problem = "missing"
		return d, fmt.Errorf("missing, want %v", want)
	}
	if got.dtype != want.dtype || !slices.Equal(got.shape, want.shape) {
		d.Problem = fmt.Sprintf("got %v, want %v", got, want)
		return d, fmt.Errorf("%s", d.Problem)
	}
	switch w := want.data.(type) {
	case []float32:
		compareFloats(&d, got.data.([]float32), w, tol, func(v float32) float64 { return float64(v) }, 32)
	case []float64:
		compareFloats(&d, got.data.([]float64), w, tol, func(v float64) float64 { return v }, 64)
	case []uint16:
		if want.dtype == Float16 {
			compareFloats(&d, got.data.([]uint16), w, tol, func(v uint16) float64 { return float64(Float16ToFloat32(v)) }, 32)
		} else {
			compareExact(&d, got.data.([]uint16), w)
		}
	case []bool:
		compareExact(&d, got.data.([]bool), w)
	case []uint8:
		compareExact(&d, got.data.([]uint8), w)
	case []uint32:
		compareExact(&d, got.data.([]uint32), w)
	case []uint64:
		compareExact(&d, got.data.([]uint64), w)
	case []int8:
		compareExact(&d, got.data.([]int8), w)
	case []int16:
		compareExact(&d, got.data.([]int16), w)
	case []int32:
		compareExact(&d, got.data.([]int32), w)
	case []int64:
		compareExact(&d, got.data.([]int64), w)
	case []string:
		compareExact(&d, got.data.([]string), w)
	default:
		d.Problem = fmt.Sprintf("cannot compare %v tensors", want.dtype)
		return d, fmt.Errorf("%s", d.Problem)
	}
	if d.OK() {
		return d, nil
	}
	return d, d.mismatchError(want.shape, want.dtype.IsFloat(), tol)
}

func (d Diff) mismatchError(shape []int, float bool, tol Tolerance) error {
	msg := fmt.Sprintf("element %d (index %v): got %s, want %s", d.First, Unravel(d.First, shape), d.Got, d.Want)
	if !float {
		if d.Mismatches > 1 {
			msg += fmt.Sprintf(" (%d of %d elements differ)", d.Mismatches, d.Elements)
		}
		return fmt.Errorf("%s", msg)
	}
	return fmt.Errorf("%s (%d of %d elements differ, max abs diff %g, max rel diff %g; rtol %g, atol %g)",
		msg, d.Mismatches, d.Elements, d.MaxAbs, d.MaxRel, tol.RTol, tol.ATol)
}

// compareFloats is Compare's element loop for float data, read as float64
// with f; bits (32 or 64) is the precision the elements are printed with.
func compareFloats[T any](d *Diff, got, want []T, tol Tolerance, f func(T) float64, bits int) {
	for i := range want {
		g, w := f(got[i]), f(want[i])
		if !math.IsInf(w, 0) && !math.IsNaN(w) {
			d.MaxRef = max(d.MaxRef, math.Abs(w))
		}
		if diff := math.Abs(g - w); !math.IsNaN(diff) && !(math.IsInf(w, 0) && g == w) {
			d.MaxAbs = max(d.MaxAbs, diff)
			if w != 0 {
				d.MaxRel = max(d.MaxRel, diff/math.Abs(w))
			}
		}
		if !tol.Close(g, w) {
			d.mismatch(i, strconv.FormatFloat(g, 'g', -1, bits), strconv.FormatFloat(w, 'g', -1, bits))
		}
	}
}

// compareExact is Compare's element loop for the dtypes compared exactly.
func compareExact[T comparable](d *Diff, got, want []T) {
	for i := range want {
		if got[i] != want[i] {
			d.mismatch(i, formatElem(got[i]), formatElem(want[i]))
		}
	}
}

func (d *Diff) mismatch(i int, got, want string) {
	d.Mismatches++
	if d.First < 0 {
		d.First, d.Got, d.Want = i, got, want
	}
}

func formatElem[T comparable](v T) string {
	if s, ok := any(v).(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}
