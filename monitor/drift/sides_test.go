package drift

import (
	"math"
	"testing"
)

func TestSides(t *testing.T) {
	p := NewProfile("m", 1, "test")
	for _, v := range []float64{1, 2, 3, 4} {
		p.Add(Row{Num: map[string]float64{"a": v, "b": 10 * v}})
	}
	rows := []Row{{Num: map[string]float64{"a": 5}}, {Num: map[string]float64{"a": 7}}, {Num: map[string]float64{"a": math.NaN()}}}
	sides := Sides(p, rows)
	if len(sides) != 2 || sides[0].Feature != "a" || sides[1].Feature != "b" {
		t.Fatalf("sides %+v, want a and b", sides)
	}
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"a reference mean", sides[0].RefMean, 2.5},
		{"a reference sd", sides[0].RefStd, math.Sqrt(1.25)},
		{"a window mean", sides[0].Mean, 6},
		{"a window sd", sides[0].Std, 1},
		{"a window count (NaN skipped)", float64(sides[0].Count), 2},
		{"b window count (absent)", float64(sides[1].Count), 0},
		{"b reference mean", sides[1].RefMean, 25},
	} {
		if math.Abs(tc.got-tc.want) > 1e-9 {
			t.Errorf("%s = %g, want %g", tc.name, tc.got, tc.want)
		}
	}
	if Sides(nil, rows) != nil {
		t.Error("no profile: want no sides")
	}
}
