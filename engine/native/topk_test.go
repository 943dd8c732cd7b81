package native

import (
	"math"
	"strings"
	"testing"

	"github.com/inferd/inferd/tensor"
)

func TestTopK(t *testing.T) {
	nan := float32(math.NaN())
	x := f32([]int{2, 3}, 1, 3, 2, 6, 4, 5)
	tests := []struct {
		name     string
		x        *tensor.Tensor
		k        int64
		attrs    []int64 // axis, largest
		wantVals *tensor.Tensor
		wantIdx  []int64
	}{
		{"largest along the last axis", x, 2, []int64{-1, 1}, f32([]int{2, 2}, 3, 2, 6, 5), []int64{1, 2, 0, 2}},
		{"smallest along the first axis", x, 1, []int64{0, 0}, f32([]int{1, 3}, 1, 3, 2), []int64{0, 0, 0}},
		{"ties by index, NaN first", f32([]int{4}, 2, nan, 2, 1), 3, []int64{0, 1}, f32([]int{3}, nan, 2, 2), []int64{1, 0, 2}},
		{"k of zero", x, 0, []int64{1, 1}, f32([]int{2, 0}), []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := node("TopK", []string{"x", "k"}, []string{"v", "i"}, aInt("axis", tc.attrs[0]), aInt("largest", tc.attrs[1]))
			out, err := runOp(t, 11, n, feeds("x", tc.x, "k", i64([]int{1}, tc.k)), nil)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, out["v"], tc.wantVals)
			if got := tensor.Data[int64](out["i"]); !equalInt64s(got, tc.wantIdx) {
				t.Errorf("indices %v, want %v", got, tc.wantIdx)
			}
		})
	}
}

func TestTopKErrors(t *testing.T) {
	x := f32([]int{2, 3}, 1, 3, 2, 6, 4, 5)
	tests := []struct {
		name string
		k    *tensor.Tensor
		axis int64
		want string
	}{
		{"k of two values", i64([]int{2}, 1, 2), -1, "TopK k must be one int64 value"},
		{"axis out of range", i64([]int{1}, 1), 2, "TopK axis 2 out of range for shape [2 3]"},
		{"k over the dimension", i64([]int{1}, 4), -1, "TopK k 4 out of range for a dimension of 3"},
		{"negative k", i64([]int{1}, -1), -1, "TopK k -1 out of range for a dimension of 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := node("TopK", []string{"x", "k"}, []string{"v", "i"}, aInt("axis", tc.axis))
			_, err := runOp(t, 11, n, feeds("x", x, "k", tc.k), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestUnique(t *testing.T) {
	x := f32([]int{3, 2}, 2, 1, 0, 5, 2, 1)
	tests := []struct {
		name                    string
		attrs                   map[string]int64
		want                    *tensor.Tensor
		indices, inverse, count []int64
	}{
		{"flattened, sorted", map[string]int64{}, f32([]int{4}, 0, 1, 2, 5), []int64{2, 1, 0, 3}, []int64{2, 1, 0, 3, 2, 1}, []int64{1, 2, 2, 1}},
		{"flattened, in order", map[string]int64{"sorted": 0}, f32([]int{4}, 2, 1, 0, 5), []int64{0, 1, 2, 3}, []int64{0, 1, 2, 3, 0, 1}, []int64{2, 2, 1, 1}},
		{"rows, sorted", map[string]int64{"axis": 0}, f32([]int{2, 2}, 0, 5, 2, 1), []int64{1, 0}, []int64{1, 0, 1}, []int64{1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := node("Unique", []string{"x"}, []string{"y", "indices", "inverse", "counts"})
			for k, v := range tc.attrs {
				n.Attrs[k] = aInt(k, v)
			}
			out, err := runOp(t, 11, n, feeds("x", x), nil)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, out["y"], tc.want)
			for name, want := range map[string][]int64{"indices": tc.indices, "inverse": tc.inverse, "counts": tc.count} {
				if got := tensor.Data[int64](out[name]); !equalInt64s(got, want) {
					t.Errorf("%s %v, want %v", name, got, want)
				}
			}
		})
	}
	n := node("Unique", []string{"x"}, []string{"y"}, aInt("axis", 2))
	if _, err := runOp(t, 11, n, feeds("x", x), nil); err == nil || !strings.Contains(err.Error(), "Unique axis 2 out of range for shape [3 2]") {
		t.Errorf("axis out of range: %v", err)
	}
}
