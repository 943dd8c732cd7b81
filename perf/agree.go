package perf

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/inferd/inferd/tensor"
)

// Tolerance bounds the difference between two engines' float outputs:
// |got - want| <= Atol + Rtol·|want|.
type Tolerance struct {
	Rtol float64 `json:"rtol"`
	Atol float64 `json:"atol"`
}

// DefaultTolerance allows for float32 sums taken in different orders
// through a deep network.
var DefaultTolerance = Tolerance{Rtol: 1e-3, Atol: 1e-4}

// OutputDiff compares one output of an engine with the first engine's.
type OutputDiff struct {
	Name string `json:"name"`
	// MaxAbs and MaxRel are the largest absolute and relative differences
	// (relative to the first engine's value) over the elements; for
	// integer, boolean and string outputs they are 0 and Mismatches counts
	// unequal elements.
	MaxAbs float64 `json:"max_abs"`
	MaxRel float64 `json:"max_rel"`
	// MaxRef is the largest magnitude of the first engine's float values,
	// the scale the differences are relative to.
	MaxRef float64 `json:"max_ref"`
	// Mismatches counts the elements outside the tolerance.
	Mismatches int `json:"mismatches"`
	Elements   int `json:"elements"`
	// First is the index of the first mismatch, when there is one.
	First []int `json:"first,omitempty"`
	// Problem describes a difference of type or shape.
	Problem string `json:"problem,omitempty"`
}

// OK reports whether the output agrees.
func (d OutputDiff) OK() bool { return d.Problem == "" && d.Mismatches == 0 }

// compareOutputs compares every output of got with want, by name in order.
func compareOutputs(got, want map[string]*tensor.Tensor, tol Tolerance) []OutputDiff {
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	diffs := make([]OutputDiff, 0, len(names))
	for _, name := range names {
		diffs = append(diffs, compareTensor(name, got[name], want[name], tol))
	}
	return diffs
}

func compareTensor(name string, got, want *tensor.Tensor, tol Tolerance) OutputDiff {
	d := OutputDiff{Name: name}
	if want == nil {
		return d
	}
	d.Elements = want.Len()
	switch {
	case got == nil:
		d.Problem = "missing"
		return d
	case got.DType() != want.DType() || !slices.Equal(got.Shape(), want.Shape()):
		d.Problem = fmt.Sprintf("got %v, want %v", got, want)
		return d
	}
	first := -1
	if g, ok := floats(got); ok {
		w, _ := floats(want)
		for i := range w {
			diff := math.Abs(g[i] - w[i])
			bad := !(diff <= tol.Atol+tol.Rtol*math.Abs(w[i])) // NaN is bad...
			if math.IsNaN(g[i]) && math.IsNaN(w[i]) || math.IsInf(w[i], 0) && g[i] == w[i] {
				diff, bad = 0, false // ...unless both are NaN or the same infinity
			}
			if !math.IsInf(w[i], 0) && !math.IsNaN(w[i]) {
				d.MaxRef = max(d.MaxRef, math.Abs(w[i]))
			}
			if !math.IsNaN(diff) {
				d.MaxAbs = max(d.MaxAbs, diff)
				if w[i] != 0 {
					d.MaxRel = max(d.MaxRel, diff/math.Abs(w[i]))
				}
			}
			if bad {
				d.Mismatches++
				if first < 0 {
					first = i
				}
			}
		}
	} else {
		for i := range d.Elements {
			if fmt.Sprint(element(got, i)) != fmt.Sprint(element(want, i)) {
				d.Mismatches++
				if first < 0 {
					first = i
				}
			}
		}
	}
	if first >= 0 {
		d.First = tensor.Unravel(first, want.Shape())
	}
	return d
}

// floats returns a float tensor's elements as float64.
func floats(t *tensor.Tensor) ([]float64, bool) {
	switch d := t.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out, true
	case []float64:
		return d, true
	case []uint16:
		if t.DType() == tensor.Float16 {
			out := make([]float64, len(d))
			for i, v := range d {
				out[i] = float64(tensor.Float16ToFloat32(v))
			}
			return out, true
		}
	}
	return nil, false
}

// element returns element i of a non-float tensor.
func element(t *tensor.Tensor, i int) any {
	switch d := t.Data().(type) {
	case []bool:
		return d[i]
	case []uint8:
		return d[i]
	case []uint16:
		return d[i]
	case []uint32:
		return d[i]
	case []uint64:
		return d[i]
	case []int8:
		return d[i]
	case []int16:
		return d[i]
	case []int32:
		return d[i]
	case []int64:
		return d[i]
	case []string:
		return d[i]
	}
	return nil
}
