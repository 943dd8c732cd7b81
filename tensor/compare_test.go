package tensor

import (
	"math"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	f32 := func(v ...float32) *Tensor { return MustFromSlice(v, len(v)) }
	f64 := func(v ...float64) *Tensor { return MustFromSlice(v, len(v)) }
	f16 := func(v ...float32) *Tensor {
		bits := make([]uint16, len(v))
		for i, x := range v {
			bits[i] = Float32ToFloat16(x)
		}
		t, err := FromFloat16Bits(bits, len(bits))
		if err != nil {
			panic(err)
		}
		return t
	}
	loose := Tolerance{RTol: 1e-3, ATol: 1e-7, NaNEqual: true}
	tests := []struct {
		name       string
		got, want  *Tensor
		tol        Tolerance
		err        string // "" for a match, else a fragment of the error
		mismatches int
		first      int
	}{
		{"equal", f32(1, 2), f32(1, 2), loose, "", 0, -1},
		{"within rtol", f32(1000.9), f32(1000), loose, "", 0, -1},
		{"beyond rtol", f32(1, 1001.1), f32(1, 1000), loose, "element 1 (index [1]): got 1001.1, want 1000", 1, 1},
		{"within atol near zero", f32(1e-8), f32(0), loose, "", 0, -1},
		{"beyond atol near zero", f32(1e-6), f32(0), loose, "got 1e-06, want 0", 1, 0},
		{"relative to want, not got", f64(2), f64(1), Tolerance{RTol: 0.6}, "got 2, want 1", 1, 0},
		{"FP64 precision", f64(1.0000001), f64(1), Tolerance{}, "got 1.0000001, want 1", 1, 0},
		{"NaN equal", f32(float32(nan)), f32(float32(nan)), loose, "", 0, -1},
		{"NaN not equal without NaNEqual", f64(nan), f64(nan), Tolerance{RTol: 1}, "got NaN, want NaN", 1, 0},
		{"NaN against a number", f32(1), f32(float32(nan)), loose, "got 1, want NaN", 1, 0},
		{"number against NaN", f64(nan), f64(1), loose, "got NaN, want 1", 1, 0},
		{"same infinity", f64(inf, -inf), f64(inf, -inf), loose, "", 0, -1},
		{"opposite infinity", f64(-inf), f64(inf), loose, "got -Inf, want +Inf", 1, 0},
		{"infinity against a number, huge tolerance", f64(inf), f64(1e308), Tolerance{RTol: 1e10}, "got +Inf", 1, 0},
		{"FP16 within", f16(1, 2), f16(1.0009765625, 2), loose, "", 0, -1},
		{"FP16 beyond", f16(1.5), f16(1), loose, "got 1.5, want 1", 1, 0},
		{"FP16 NaN", f16(float32(nan)), f16(float32(nan)), loose, "", 0, -1},
		{"UINT16 exact", MustFromSlice([]uint16{1, 2}, 2), MustFromSlice([]uint16{1, 3}, 2), loose, "element 1 (index [1]): got 2, want 3", 1, 1},
		{"INT64 exact despite tolerance", MustFromSlice([]int64{1000}, 1), MustFromSlice([]int64{1001}, 1), Tolerance{RTol: 1}, "got 1000, want 1001", 1, 0},
		{"INT8", MustFromSlice([]int8{-1, 2}, 1, 2), MustFromSlice([]int8{-1, 2}, 1, 2), loose, "", 0, -1},
		{"UINT8", MustFromSlice([]uint8{1, 2, 3}, 3), MustFromSlice([]uint8{0, 2, 0}, 3), loose, "(2 of 3 elements differ)", 2, 0},
		{"INT16", MustFromSlice([]int16{7}, 1), MustFromSlice([]int16{-7}, 1), loose, "got 7, want -7", 1, 0},
		{"INT32", MustFromSlice([]int32{7}, 1), MustFromSlice([]int32{7}, 1), loose, "", 0, -1},
		{"UINT32", MustFromSlice([]uint32{7}, 1), MustFromSlice([]uint32{8}, 1), loose, "want 8", 1, 0},
		{"UINT64", MustFromSlice([]uint64{math.MaxUint64}, 1), MustFromSlice([]uint64{math.MaxUint64 - 1}, 1), loose, "got 18446744073709551615", 1, 0},
		{"BOOL", MustFromSlice([]bool{true, false}, 2, 1), MustFromSlice([]bool{true, true}, 2, 1), loose, "element 1 (index [1 0]): got false, want true", 1, 1},
		{"BYTES", MustFromSlice([]string{"a", "b"}, 2), MustFromSlice([]string{"a", "c"}, 2), loose, `got "b", want "c"`, 1, 1},
		{"BYTES equal", MustFromSlice([]string{"a"}, 1), MustFromSlice([]string{"a"}, 1), Tolerance{}, "", 0, -1},
		{"dtype", MustFromSlice([]int64{1}, 1), f32(1), loose, "got INT64[1], want FP32[1]", 0, -1},
		{"shape", f32(1, 2, 3), f32(1, 2), loose, "got FP32[3], want FP32[2]", 0, -1},
		{"same length, other shape", MustFromSlice([]float32{1, 2}, 1, 2), f32(1, 2), loose, "got FP32[1 2], want FP32[2]", 0, -1},
		{"missing", nil, f32(1), loose, "missing, want FP32[1]", 0, -1},
		{"empty", f32(), f32(), Tolerance{}, "", 0, -1},
		{"scalar", Scalar(float32(2)), Scalar(float32(1)), loose, "element 0 (index []): got 2, want 1", 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Compare(tc.got, tc.want, tc.tol)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want one mentioning %q", err, tc.err)
			}
			if d.OK() != (err == nil) || d.Mismatches != tc.mismatches || d.First != tc.first {
				t.Errorf("Diff %+v: OK %v, %d mismatches from %d; want %d from %d", d, d.OK(), d.Mismatches, d.First, tc.mismatches, tc.first)
			}
		})
	}
}

func TestCompareStatistics(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	got := MustFromSlice([]float32{1.5, 2, nan, inf, 0.5, 10}, 2, 3)
	want := MustFromSlice([]float32{1, 2, nan, inf, 0, -20}, 2, 3)
	d, err := Compare(got, want, Tolerance{RTol: 0.1, ATol: 0.1, NaNEqual: true})
	if err == nil {
		t.Fatal("no error")
	}
	if d.Elements != 6 || d.Mismatches != 3 || d.First != 0 || d.Got != "1.5" || d.Want != "1" {
		t.Errorf("Diff %+v", d)
	}
	if d.MaxAbs != 30 || d.MaxRel != 1.5 || d.MaxRef != 20 {
		t.Errorf("MaxAbs %v, MaxRel %v, MaxRef %v; want 30, 1.5, 20", d.MaxAbs, d.MaxRel, d.MaxRef)
	}
	if !strings.Contains(err.Error(), "3 of 6 elements differ, max abs diff 30, max rel diff 1.5; rtol 0.1, atol 0.1") {
		t.Errorf("error %v", err)
	}
}

func TestToleranceClose(t *testing.T) {
	tol := Tolerance{RTol: 0.5, ATol: 1}
	for _, tc := range []struct {
		got, want float64
		ok        bool
	}{
		{0, 0, true}, {1, 0, true}, {1.1, 0, false}, {4, 2, true}, {4.1, 2, false},
		{math.Inf(-1), math.Inf(-1), true}, {math.Inf(1), math.Inf(-1), false}, {math.NaN(), math.NaN(), false},
	} {
		if got := tol.Close(tc.got, tc.want); got != tc.ok {
			t.Errorf("Close(%v, %v) = %v", tc.got, tc.want, got)
		}
	}
}
