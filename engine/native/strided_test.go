package native

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/inferd/inferd/tensor"
)

// TestTransposeParallel checks Transpose on tensors large enough for the
// strided copy's parallel region (a recycled body), for 1-, 4- and 8-byte
// elements, against a naive permutation; each session runs twice, so that
// the second run reuses the body.
func TestTransposeParallel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const a, b, c = 200, 150, 3 // [a, b, c] → [b, a, c]
	f32 := randFloats(r, a*b*c)
	i64 := make([]int64, a*b*c)
	u8 := make([]uint8, a*b*c)
	for i := range i64 {
		i64[i], u8[i] = int64(r.IntN(1000)), uint8(r.IntN(256))
	}
	cases := []struct {
		x    *tensor.Tensor
		want func(y *tensor.Tensor) bool
	}{
		{tensor.MustFromSlice(f32, a, b, c), func(y *tensor.Tensor) bool { return slices.Equal(tensor.Data[float32](y), swapOuter(f32, a, b, c)) }},
		{tensor.MustFromSlice(i64, a, b, c), func(y *tensor.Tensor) bool { return slices.Equal(tensor.Data[int64](y), swapOuter(i64, a, b, c)) }},
		{tensor.MustFromSlice(u8, a, b, c), func(y *tensor.Tensor) bool { return slices.Equal(tensor.Data[uint8](y), swapOuter(u8, a, b, c)) }},
	}
	for _, tc := range cases {
		for _, threads := range []int{1, 2} {
			t.Run(fmt.Sprint(tc.x.DType(), "/threads=", threads), func(t *testing.T) {
				in := feeds("x", tc.x)
				s := mustSession(t, opModel(13, node("Transpose", []string{"x"}, []string{"y"}, aInts("perm", 1, 0, 2)), in, nil), threads)
				for range 2 {
					y := mustRun(t, s, in)["y"]
					if !slices.Equal(y.Shape(), []int{b, a, c}) {
						t.Fatalf("shape %v, want [%d %d %d]", y.Shape(), b, a, c)
					}
					if !tc.want(y) {
						t.Fatal("Transpose differs from the naive permutation")
					}
				}
			})
		}
	}
}

// swapOuter permutes x of shape [a, b, c] to [b, a, c].
func swapOuter[T any](x []T, a, b, c int) []T {
	y := make([]T, len(x))
	for i := range a {
		for j := range b {
			copy(y[(j*a+i)*c:(j*a+i+1)*c], x[(i*b+j)*c:(i*b+j+1)*c])
		}
	}
	return y
}

// BenchmarkStrided times Transpose's strided copy on attention-sized
// float32 tensors: [seq, batch·heads, head] to [batch·heads, seq, head]
// (runs of 8 contiguous values) and to [batch·heads, head, seq] (K's
// transpose: the last axis strided).
func BenchmarkStrided(b *testing.B) {
	const seq, bh, hd = 12, 128, 8
	src := make([]float32, seq*bh*hd)
	dst := make([]float32, len(src))
	rc := &runCtx{threads: 1}
	cases := []struct {
		name           string
		shape, strides []int
	}{
		{"perm=1,0,2", []int{bh, seq, hd}, []int{hd, bh * hd, 1}},
		{"perm=1,2,0", []int{bh, hd, seq}, []int{hd, 1, bh * hd}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				stridedT(rc, dst, src, 0, c.shape, c.strides)
			}
		})
	}
}
