package perf

import (
	"sort"

	"github.com/inferd/inferd/tensor"
)

// Tolerance bounds the difference between two engines' float outputs:
// |got - want| <= Atol + Rtol·|want|.
type Tolerance struct {
	Rtol float64 `json:"rtol"`
	Atol float64 `json:"atol"`
}

// tensor is t for tensor.Compare: NaN matches NaN, and an infinity the
// same infinity.
func (t Tolerance) tensor() tensor.Tolerance {
	return tensor.Tolerance{RTol: t.Rtol, ATol: t.Atol, NaNEqual: true}
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

// compareTensor compares one output with tensor.Compare.
func compareTensor(name string, got, want *tensor.Tensor, tol Tolerance) OutputDiff {
	d := OutputDiff{Name: name}
	if want == nil {
		return d
	}
	td, _ := tensor.Compare(got, want, tol.tensor())
	d.MaxAbs, d.MaxRel, d.MaxRef = td.MaxAbs, td.MaxRel, td.MaxRef
	d.Mismatches, d.Elements, d.Problem = td.Mismatches, td.Elements, td.Problem
	if td.First >= 0 {
		d.First = tensor.Unravel(td.First, want.Shape())
	}
	return d
}
