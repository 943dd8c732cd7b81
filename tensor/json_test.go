package tensor

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestFromJSON(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		dt    DType
		shape []int
		want  any
	}{
		{"matrix", `[[1, 2.5], [3, -4e-3]]`, Float32, []int{2, 2}, []float32{1, 2.5, 3, -4e-3}},
		{"scalar", `7`, Int64, []int{}, []int64{7}},
		{"empty", `[]`, Float32, []int{0}, []float32{}},
		{"bool", `[true, false]`, Bool, []int{2}, []bool{true, false}},
		{"strings", `[["a"], ["é"]]`, String, []int{2, 1}, []string{"a", "é"}},
		{"uint8", `[0, 255]`, Uint8, []int{2}, []uint8{0, 255}},
		{"int8", `[-128, 127]`, Int8, []int{2}, []int8{-128, 127}},
		{"float64", `[1e300]`, Float64, []int{1}, []float64{1e300}},
		{"nan strings", `["NaN", "Infinity", "-Infinity"]`, Float64, []int{3}, []float64{math.NaN(), math.Inf(1), math.Inf(-1)}},
		{"int64 big", `[9007199254740993]`, Int64, []int{1}, []int64{9007199254740993}},
		{"rank 4", `[[[[1]],[[2]]]]`, Int32, []int{1, 2, 1, 1}, []int32{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromJSON(json.RawMessage(tt.json), tt.dt)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Shape(), tt.shape) || got.DType() != tt.dt {
				t.Fatalf("got %v, want %v%v", got, tt.dt, tt.shape)
			}
			if f, ok := tt.want.([]float64); ok {
				g := Data[float64](got)
				for i := range f {
					if !(g[i] == f[i] || math.IsNaN(g[i]) && math.IsNaN(f[i])) {
						t.Fatalf("element %d = %v, want %v", i, g[i], f[i])
					}
				}
				return
			}
			if gs, ws := AppendJSON(nil, got), AppendJSON(nil, mustWrap(t, tt.want, tt.shape)); string(gs) != string(ws) {
				t.Fatalf("data %s, want %s", gs, ws)
			}
		})
	}
}

func mustWrap(t *testing.T, data any, shape []int) *Tensor {
	t.Helper()
	var (
		x   *Tensor
		err error
	)
	switch d := data.(type) {
	case []float32:
		x, err = FromSlice(d, shape...)
	case []int64:
		x, err = FromSlice(d, shape...)
	case []int32:
		x, err = FromSlice(d, shape...)
	case []int8:
		x, err = FromSlice(d, shape...)
	case []uint8:
		x, err = FromSlice(d, shape...)
	case []bool:
		x, err = FromSlice(d, shape...)
	case []string:
		x, err = FromSlice(d, shape...)
	}
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestFromJSONErrors(t *testing.T) {
	tests := []struct {
		name, json string
		dt         DType
		want       string
	}{
		{"ragged", `[[1, 2], [3]]`, Float32, "ragged array: element [1] should be an array of 2"},
		{"ragged deeper", `[[1, 2], [3, [4]]]`, Float32, "element [1][1] is an array where a value was expected"},
		{"string in floats", `[1, "x"]`, Float32, `element [1]: "x" is not a number`},
		{"null", `[1, null]`, Float32, "element [1]: null is not a number"},
		{"object", `[{"a": 1}]`, Float32, "element [0]: an object is not a number"},
		{"fraction for int", `[1.5]`, Int64, "number 1.5 is not an integer in the range of INT64"},
		{"int8 overflow", `[128]`, Int8, "not an integer in the range of INT8"},
		{"negative uint", `[-1]`, Uint8, "not an integer in the range of UINT8"},
		{"fp32 overflow", `[1e39]`, Float32, "out of range for FP32"},
		{"bool from number", `[1]`, Bool, "number 1 is not a boolean"},
		{"string from number", `[1]`, String, "is not a string"},
		{"not json", `[1, 2`, Float32, "unexpected EOF"},
		{"bare NaN", `[NaN]`, Float32, "invalid character 'N'"},
		// 5 levels of 60 declare 60^5 = 7.8e8 elements in under 2 KB: refused
		// as ragged before anything that size is allocated.
		{"small body, huge declared shape", hugeDeclared(5, 60), Float32, "ragged array: element [0][0][0][1] should be an array of 60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromJSON(json.RawMessage(tt.json), tt.dt)
			if err == nil || !errors.Is(err, ErrJSON) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrJSON containing %q", err, tt.want)
			}
		})
	}
}

// hugeDeclared nests depth arrays whose first element has width elements
// and whose other elements are scalars: [[[0,0…],0…],0…].
func hugeDeclared(depth, width int) string {
	s := "0"
	for range depth {
		s = "[" + s + strings.Repeat(",0", width-1) + "]"
	}
	return s
}

func TestAppendJSONRoundTrip(t *testing.T) {
	x := MustFromSlice([]float32{0.1, float32(math.NaN()), float32(math.Inf(-1)), 3}, 2, 2)
	b := AppendJSON(nil, x)
	if string(b) != `[[0.1,"NaN"],["-Infinity",3]]` {
		t.Fatalf("AppendJSON = %s", b)
	}
	y, err := FromJSON(b, Float32)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckFinite(y); err == nil || !strings.Contains(err.Error(), "element 1 (flat index) is NaN") {
		t.Fatalf("CheckFinite = %v", err)
	}
	if s := string(AppendJSON(nil, Scalar(int64(-3)))); s != "-3" {
		t.Fatalf("scalar = %s", s)
	}
}

func TestFloat16(t *testing.T) {
	for _, f := range []float32{0, 1, -2.5, 65504, 6.1035156e-05, 5.9604645e-08, float32(math.Inf(1))} {
		if got := Float16ToFloat32(Float32ToFloat16(f)); got != f {
			t.Errorf("round trip of %v = %v", f, got)
		}
	}
	if h := Float32ToFloat16(1e6); h != 0x7c00 {
		t.Errorf("overflow = %#x, want +Inf", h)
	}
	if h := Float32ToFloat16(float32(math.NaN())); Float16ToFloat32(h) == Float16ToFloat32(h) {
		t.Errorf("NaN did not survive: %#x", h)
	}
	if got := Float16ToFloat32(Float32ToFloat16(1.0009765625 / 2 * 2)); got != 1.0009765625 {
		t.Errorf("1+2^-10 = %v", got)
	}
}

func TestShapes(t *testing.T) {
	if _, err := FromSlice([]float32{1, 2, 3}, 2, 2); err == nil {
		t.Error("FromSlice accepted 3 elements for [2 2]")
	}
	if _, err := FromSlice([]float32{}, -1); err == nil {
		t.Error("FromSlice accepted a negative dimension")
	}
	if err := CheckShape([]int{1 << 20, 1 << 20, 1 << 20}); err == nil {
		t.Error("CheckShape accepted 2^60 elements")
	}
	x := MustFromSlice([]int64{1, 2, 3, 4, 5, 6}, 2, 3)
	y, err := x.Reshape(3, 2)
	if err != nil || !slices.Equal(y.Shape(), []int{3, 2}) {
		t.Fatalf("Reshape = %v, %v", y, err)
	}
	if !slices.Equal(Strides([]int{2, 3, 4}), []int{12, 4, 1}) {
		t.Error("Strides")
	}
	c := x.Clone()
	Data[int64](c)[0] = 9
	if Data[int64](x)[0] != 1 {
		t.Error("Clone shares data")
	}
	if d, err := ParseDType("fp32"); err != nil || d != Float32 {
		t.Errorf("ParseDType(fp32) = %v, %v", d, err)
	}
	if _, err := ParseDType("float"); err == nil {
		t.Error("ParseDType accepted float")
	}
}

// TestCheckFiniteFinds: the first NaN or infinity is named wherever it
// is (in the four-way scan's body or its tail), for FP32 and FP64.
func TestCheckFiniteFinds(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name string
		at   int
		v    float64
	}{{"none", -1, 0}, {"NaN first", 0, math.NaN()}, {"+Inf in the body", 5, inf},
		{"-Inf in the tail", 9, -inf}, {"NaN last", 10, math.NaN()}, {"largest finite", -1, math.MaxFloat32}} {
		t.Run(tc.name, func(t *testing.T) {
			f32, f64 := make([]float32, 11), make([]float64, 11)
			for i := range f32 {
				f32[i], f64[i] = float32(i)-5, float64(i)*1e300
			}
			if tc.at >= 0 {
				f32[tc.at], f64[tc.at] = float32(tc.v), tc.v
			} else {
				f32[3], f64[3] = float32(tc.v), tc.v
			}
			for _, x := range []*Tensor{MustFromSlice(f32, 11), MustFromSlice(f64, 11)} {
				err := CheckFinite(x)
				want := fmt.Sprintf("element %d (flat index)", tc.at)
				if (tc.at < 0) != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
					t.Errorf("%v: CheckFinite = %v; want an error naming %q: %v", x.DType(), err, want, tc.at >= 0)
				}
			}
		})
	}
}
