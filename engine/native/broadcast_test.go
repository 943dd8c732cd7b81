package native

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/inferd/inferd/tensor"
)

func TestBroadcastShapes(t *testing.T) {
	tests := []struct {
		a, b, want []int
		fail       bool
	}{
		{[]int{2, 3}, []int{2, 3}, []int{2, 3}, false},
		{[]int{2, 3, 4}, []int{3, 1}, []int{2, 3, 4}, false},
		{[]int{}, []int{5}, []int{5}, false},
		{[]int{1}, []int{0}, []int{0}, false},
		{[]int{4, 1}, []int{1, 3}, []int{4, 3}, false},
		{[]int{2, 3}, []int{3, 2}, nil, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.a, tc.b), func(t *testing.T) {
			got, err := broadcastShapes(tc.a, tc.b)
			if tc.fail != (err != nil) || !slices.Equal(got, tc.want) {
				t.Fatalf("broadcastShapes = %v, %v; want %v (fail %v)", got, err, tc.want, tc.fail)
			}
		})
	}
}

// naiveBroadcastAdd adds with explicit index arithmetic.
func naiveBroadcastAdd(x, y []float32, out, xs, ys []int) []float32 {
	res := make([]float32, tensor.NumElements(out))
	idx := make([]int, len(out))
	at := func(data []float32, shape []int) float32 {
		off, stride := 0, 1
		for i := len(shape) - 1; i >= 0; i-- {
			d := idx[len(out)-len(shape)+i]
			if shape[i] == 1 {
				d = 0
			}
			off += d * stride
			stride *= shape[i]
		}
		return data[off]
	}
	for i := range res {
		rem := i
		for a := len(out) - 1; a >= 0; a-- {
			idx[a] = rem % out[a]
			rem /= out[a]
		}
		res[i] = at(x, xs) + at(y, ys)
	}
	return res
}

func TestBroadcastBinary(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	shapes := [][2][]int{
		{{2, 3, 4}, {2, 3, 4}},
		{{2, 3, 4}, {4}},
		{{2, 3, 4}, {3, 1}},
		{{1, 3, 1, 5}, {2, 1, 4, 1}},
		{{5, 1}, {1, 6}},
		{{}, {3, 2}},
		{{3, 2}, {}},
		{{1, 1}, {1}},
		{{2, 0, 3}, {3}},
		{{64, 33, 40}, {33, 1}}, // large enough to run in parallel
	}
	add := arithFuncs[float32](opAdd)
	for _, sh := range shapes {
		t.Run(fmt.Sprint(sh[0], sh[1]), func(t *testing.T) {
			x := randFloats(r, tensor.NumElements(sh[0]))
			y := randFloats(r, tensor.NumElements(sh[1]))
			out, err := broadcastShapes(sh[0], sh[1])
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, tensor.NumElements(out))
			broadcastBinary(&runCtx{threads: 3}, add, got, x, y, out, sh[0], sh[1])
			if want := naiveBroadcastAdd(x, y, out, sh[0], sh[1]); !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

func TestBinaryOps(t *testing.T) {
	tests := []struct {
		op   string
		a, b *tensor.Tensor
		want *tensor.Tensor
	}{
		{"Sub", f32([]int{2, 2}, 5, 6, 7, 8), f32([]int{2}, 1, 2), f32([]int{2, 2}, 4, 4, 6, 6)},
		{"Div", f32([]int{1, 3}, 1, -1, 0), f32([]int{1}, 0), f32([]int{1, 3}, float32(posInf), float32(negInf), float32(nan))},
		{"Div", i64([]int{4}, 7, -7, 7, -7), i64([]int{4}, 2, 2, -2, -2), i64([]int{4}, 3, -3, -3, 3)},
		{"Mul", tensor.MustFromSlice([]int32{2, 3}, 2), tensor.MustFromSlice([]int32{-4}, 1), tensor.MustFromSlice([]int32{-8, -12}, 2)},
		{"Add", tensor.MustFromSlice([]float64{0.5}, 1), tensor.MustFromSlice([]float64{0.25, 1}, 2), tensor.MustFromSlice([]float64{0.75, 1.5}, 2)},
	}
	for _, tc := range tests {
		t.Run(tc.op+"/"+tc.a.DType().String(), func(t *testing.T) {
			out, err := runOp(t, 13, node(tc.op, []string{"a", "b"}, []string{"y"}), feeds("a", tc.a, "b", tc.b), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := out["y"]; !equalInts(got.Shape(), tc.want.Shape()) || fmt.Sprint(got.Data()) != fmt.Sprint(tc.want.Data()) {
				t.Fatalf("got %v %v, want %v", got, got.Data(), tc.want.Data())
			}
		})
	}
}
