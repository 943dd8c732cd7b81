package enginetest

import (
	"math"
	"strings"
	"testing"

	"github.com/inferd/inferd/tensor"
)

func TestCases(t *testing.T) {
	cases, err := Cases()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 100 {
		t.Fatalf("only %d cases", len(cases))
	}
	seen := map[string]bool{}
	loadErrors := 0
	for _, c := range cases {
		if seen[c.Name] {
			t.Errorf("duplicate case %s", c.Name)
		}
		seen[c.Name] = true
		if len(c.Model) == 0 {
			t.Errorf("%s: empty model", c.Name)
		}
		if c.LoadError != nil {
			loadErrors++
			continue
		}
		if len(c.Inputs) == 0 || len(c.Outputs) == 0 {
			t.Errorf("%s: no inputs or outputs", c.Name)
		}
	}
	if !seen[cnnCase] || loadErrors == 0 {
		t.Errorf("missing %s or a load-error case", cnnCase)
	}
}

func TestCompare(t *testing.T) {
	f := func(v ...float32) *tensor.Tensor { return tensor.MustFromSlice(v, len(v)) }
	tests := []struct {
		name      string
		got, want *tensor.Tensor
		err       string
	}{
		{"equal", f(1, 2), f(1, 2), ""},
		{"within tolerance", f(1000.05), f(1000), ""},
		{"absolute tolerance near zero", f(5e-6), f(0), ""},
		{"outside tolerance", f(1.001), f(1), "element 0"},
		{"NaN expected", f(float32(math.NaN())), f(float32(math.NaN())), ""},
		{"NaN unexpected", f(float32(math.NaN())), f(1), "element 0"},
		{"shape", f(1, 2), f(1), "want FP32[1]"},
		{"dtype", tensor.MustFromSlice([]int64{1}, 1), f(1), "want FP32"},
		{"ints exact", tensor.MustFromSlice([]int64{1, 3}, 2), tensor.MustFromSlice([]int64{1, 2}, 2), "element 1"},
		{"bools", tensor.MustFromSlice([]bool{true}, 1), tensor.MustFromSlice([]bool{true}, 1), ""},
		{"missing", nil, f(1), "missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Compare(tc.got, tc.want)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("Compare = %v, want error containing %q", err, tc.err)
			}
		})
	}
	if !Identical(f(1, 2), f(1, 2)) || Identical(f(1, 2), f(1, 2.0000002)) {
		t.Error("Identical is not bitwise")
	}
}
