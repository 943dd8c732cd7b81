package native

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/tensor"
)

// naiveMatMul multiplies batched matrices whose batch shapes are already
// equal (the test broadcasts explicitly).
func naiveMatMul(a, b []float32, batch, m, k, n int, aBatch, bBatch func(int) int) []float32 {
	y := make([]float32, batch*m*n)
	for i := range batch {
		ao, bo := aBatch(i)*m*k, bBatch(i)*k*n
		for r := range m {
			for c := range n {
				var s float64
				for p := range k {
					s += float64(a[ao+r*k+p]) * float64(b[bo+p*n+c])
				}
				y[(i*m+r)*n+c] = float32(s)
			}
		}
	}
	return y
}

func TestMatMulBatches(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	tests := []struct {
		aShape, bShape, yShape []int
		aBatch, bBatch         func(int) int
	}{
		// Many small products: one per goroutine; b broadcast over the
		// first batch dimension.
		{[]int{6, 5, 3, 4}, []int{5, 4, 2}, []int{6, 5, 3, 2}, func(i int) int { return i }, func(i int) int { return i % 5 }},
		// Few large products: each spread over the threads.
		{[]int{2, 70, 90}, []int{2, 90, 80}, []int{2, 70, 80}, func(i int) int { return i }, func(i int) int { return i }},
		// Attention-sized products (tap sums; 40 columns end in a
		// partial vector).
		{[]int{4, 32, 16}, []int{4, 16, 40}, []int{4, 32, 40}, func(i int) int { return i }, func(i int) int { return i }},
		// a broadcast: [1, 3, 4] against [3, 4, 5] batches.
		{[]int{1, 3, 4}, []int{3, 4, 5}, []int{3, 3, 5}, func(int) int { return 0 }, func(i int) int { return i }},
	}
	for _, tc := range tests {
		for _, threads := range []int{1, 2, 4} {
			t.Run(fmt.Sprint(tc.aShape, tc.bShape, threads), func(t *testing.T) {
				a := randFloats(r, tensor.NumElements(tc.aShape))
				b := randFloats(r, tensor.NumElements(tc.bShape))
				in := feeds("a", tensor.MustFromSlice(a, tc.aShape...), "b", tensor.MustFromSlice(b, tc.bShape...))
				s := mustSession(t, opModel(13, node("MatMul", []string{"a", "b"}, []string{"y"}), in, nil), threads)
				out := mustRun(t, s, in)
				rank := len(tc.yShape)
				m, k, n := tc.yShape[rank-2], tc.aShape[len(tc.aShape)-1], tc.yShape[rank-1]
				want := naiveMatMul(a, b, tensor.NumElements(tc.yShape[:rank-2]), m, k, n, tc.aBatch, tc.bBatch)
				assertNear(t, out["y"], tensor.MustFromSlice(want, tc.yShape...), 1e-4)
			})
		}
	}
}

func TestGemmPackedWeights(t *testing.T) {
	// Constant B is packed at load; rows 1..5 cover the odd-row and edge
	// kernels.
	r := rand.New(rand.NewPCG(9, 10))
	for _, m := range []int{1, 2, 3, 5} {
		for _, transB := range []int64{0, 1} {
			t.Run(fmt.Sprintf("m=%d/transB=%d", m, transB), func(t *testing.T) {
				const k, n = 300, 7
				a := randFloats(r, m*k)
				w := randFloats(r, k*n)
				bShape := []int{k, n}
				if transB == 1 {
					bShape = []int{n, k}
				}
				in := feeds("a", tensor.MustFromSlice(a, m, k))
				inits := map[string]*tensor.Tensor{"b": tensor.MustFromSlice(w, bShape...)}
				s := mustSession(t, opModel(13, node("Gemm", []string{"a", "b"}, []string{"y"}, aInt("transB", transB), aFloat("alpha", 2)), in, inits), 2)
				out := mustRun(t, s, in)
				want := make([]float32, m*n)
				for i := range m {
					for j := range n {
						var acc float64
						for p := range k {
							bv := w[p*n+j]
							if transB == 1 {
								bv = w[j*k+p]
							}
							acc += float64(a[i*k+p]) * float64(bv)
						}
						want[i*n+j] = float32(2 * acc)
					}
				}
				assertNear(t, out["y"], tensor.MustFromSlice(want, m, n), 1e-4)
			})
		}
	}
}
