package perf

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

func TestParseDim(t *testing.T) {
	tests := []struct {
		in      string
		key     string
		size    int
		wantErr bool
	}{
		{"sequence=128", "sequence", 128, false},
		{"tokens:1=7", "tokens:1", 7, false},
		{"seq", "", 0, true},
		{"=3", "", 0, true},
		{"seq=-1", "", 0, true},
		{"seq=x", "", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			k, n, err := ParseDim(tc.in)
			if (err != nil) != tc.wantErr || k != tc.key || n != tc.size {
				t.Errorf("ParseDim(%q) = %q, %d, %v", tc.in, k, n, err)
			}
		})
	}
}

func TestInputShapes(t *testing.T) {
	infos := []engine.TensorInfo{
		{Name: "ids", DType: tensor.Int64, Shape: []int{-1, -1}},
		{Name: "mask", DType: tensor.Bool, Shape: []int{-1, -1, 4}},
		{Name: "scale", DType: tensor.Float32, Shape: []int{1}},
		{Name: "state", DType: tensor.Float32, Shape: []int{2, -1, 8}},
	}
	decl := map[string][]onnx.Dim{
		"ids":   {{Value: -1, Param: "batch"}, {Value: -1, Param: "seq"}},
		"mask":  {{Value: -1, Param: "batch"}, {Value: -1}, {Value: 4}},
		"state": {{Value: 2}, {Value: -1, Param: "batch"}, {Value: 8}},
	}
	tests := []struct {
		name  string
		batch int
		dims  map[string]int
		want  map[string][]int
		err   string
	}{
		{"named and positional", 3, map[string]int{"seq": 5, "mask:1": 2},
			map[string][]int{"ids": {3, 5}, "mask": {3, 2, 4}, "scale": {1}, "state": {2, 3, 8}}, ""},
		{"missing named", 1, map[string]int{"mask:1": 2}, nil, "--dim seq=N"},
		{"missing unnamed", 1, map[string]int{"seq": 2}, nil, "--dim mask:1=N"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inputShapes(infos, decl, tc.batch, tc.dims)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, w := range tc.want {
				if !slices.Equal(got[name], w) {
					t.Errorf("%s: %v, want %v", name, got[name], w)
				}
			}
		})
	}
	fixed := []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{1, 3}}}
	if _, err := inputShapes(fixed, nil, 8, nil); err == nil || !strings.Contains(err.Error(), "--batch 1") {
		t.Errorf("fixed batch with --batch 8: %v, want an error suggesting --batch 1", err)
	}
}

func TestRandomInputs(t *testing.T) {
	infos := []engine.TensorInfo{
		{Name: "f", DType: tensor.Float32}, {Name: "h", DType: tensor.Float16}, {Name: "i", DType: tensor.Int64},
		{Name: "b", DType: tensor.Bool}, {Name: "s", DType: tensor.String}, {Name: "u", DType: tensor.Uint8},
	}
	shapes := map[string][]int{"f": {4, 8}, "h": {2}, "i": {16}, "b": {3}, "s": {2}, "u": {5}}
	a, err := randomInputs(infos, shapes, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := randomInputs(infos, shapes, 7)
	c, _ := randomInputs(infos, shapes, 8)
	if !slices.Equal(tensor.Data[float32](a["f"]), tensor.Data[float32](b["f"])) {
		t.Error("the same seed gave different inputs")
	}
	if slices.Equal(tensor.Data[float32](a["f"]), tensor.Data[float32](c["f"])) {
		t.Error("different seeds gave the same inputs")
	}
	for _, v := range tensor.Data[float32](a["f"]) {
		if v < -1 || v >= 1 {
			t.Fatalf("float %v outside [-1, 1)", v)
		}
	}
	for _, v := range tensor.Data[int64](a["i"]) {
		if v < 0 || v >= 10 {
			t.Fatalf("integer %v outside [0, 10)", v)
		}
	}
	for name, sh := range shapes {
		if !slices.Equal(a[name].Shape(), sh) || a[name].DType() != infos[slices.IndexFunc(infos, func(i engine.TensorInfo) bool { return i.Name == name })].DType {
			t.Errorf("%s is %v, want shape %v", name, a[name], sh)
		}
	}
	if _, err := randomInputs([]engine.TensorInfo{{Name: "seq"}}, map[string][]int{"seq": {1}}, 1); err == nil {
		t.Error("an input that is not a tensor was accepted")
	}
}

func TestCompareOutputs(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		name     string
		got      *tensor.Tensor
		want     *tensor.Tensor
		mismatch int
		problem  bool
	}{
		{"equal with NaN and Inf", tensor.MustFromSlice([]float32{1, nan, inf}, 3), tensor.MustFromSlice([]float32{1, nan, inf}, 3), 0, false},
		{"within tolerance", tensor.MustFromSlice([]float32{1.0005, 0.00005}, 2), tensor.MustFromSlice([]float32{1, 0}, 2), 0, false},
		{"NaN against a number", tensor.MustFromSlice([]float32{nan, 2}, 2), tensor.MustFromSlice([]float32{1, 2}, 2), 1, false},
		{"ints", tensor.MustFromSlice([]int64{1, 2, 3}, 3), tensor.MustFromSlice([]int64{1, 5, 6}, 3), 2, false},
		{"strings", tensor.MustFromSlice([]string{"a", "b"}, 2), tensor.MustFromSlice([]string{"a", "c"}, 2), 1, false},
		{"shape", tensor.New(tensor.Float32, 2, 3), tensor.New(tensor.Float32, 3, 2), 0, true},
		{"missing", nil, tensor.New(tensor.Float32, 1), 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := compareTensor("y", tc.got, tc.want, DefaultTolerance)
			if d.Mismatches != tc.mismatch || (d.Problem != "") != tc.problem {
				t.Errorf("diff %+v, want %d mismatches, problem %v", d, tc.mismatch, tc.problem)
			}
			if d.OK() != (tc.mismatch == 0 && !tc.problem) {
				t.Errorf("OK() = %v", d.OK())
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	s := make([]time.Duration, 100)
	for i := range s {
		s[i] = time.Duration(i + 1)
	}
	if p := percentile(s, 0.5); p != 50 {
		t.Errorf("median %v, want 50", p)
	}
	if p := percentile(s, 0.99); p != 99 {
		t.Errorf("p99 %v, want 99", p)
	}
	if p := percentile(s[:1], 0.99); p != 1 {
		t.Errorf("p99 of one sample %v, want 1", p)
	}
}
