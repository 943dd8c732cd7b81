package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// shortRowSizes are the row lengths the short-row tests and benchmarks
// use: odd ones, an attention row (12), the zoo transformers' widths (32,
// 64) and the largest short row.
var shortRowSizes = []int{1, 5, 12, 32, 33, 64}

// TestSoftmaxShortRows compares the blocked short-row Softmax with the
// row-by-row one, on random rows and on rows with −Inf, +Inf and NaN.
func TestSoftmaxShortRows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range shortRowSizes {
		rows := 2*shortBlock/n + 3 // more than one block, and a partial one
		x := make([]float32, rows*n)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 4)
		}
		x[0] = float32(math.Inf(-1))
		x[n] = float32(math.NaN())
		if n > 1 {
			x[2*n+1] = float32(math.Inf(1))
		}
		for i := range n {
			x[3*n+i] = float32(math.Inf(-1)) // a fully masked row
		}
		got, want := make([]float32, len(x)), make([]float32, len(x))
		softmaxShortRows(got, x, n, 0, rows)
		softmaxLongRows(want, x, n, 0, rows)
		for i := range got {
			if !closeOrBothNaN(got[i], want[i], 1e-6) {
				t.Fatalf("n=%d: value %d (row %d) is %v, row by row %v", n, i, i/n, got[i], want[i])
			}
		}
	}
}

// TestLayerNormShortRows compares the fused short-row LayerNorm with the
// vector path.
func TestLayerNormShortRows(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	// Not rows of 1: their variance is 0, and the vector path's x·inv −
	// mean·inv leaves a rounding error times 1/√ε.
	for _, n := range shortRowSizes[1:] {
		k := &layerNormKernel{eps: 1e-5, gamma: randFloats(r, n), beta: randFloats(r, n)}
		x := randFloats(r, 7*n)
		for i := range x {
			x[i] = x[i]*10 + 3
		}
		got, want := make([]float32, len(x)), make([]float32, len(x))
		k.rows32(got, x, n, 0, 7)
		for row := range 7 {
			k.row32(want[row*n:(row+1)*n], x[row*n:(row+1)*n])
		}
		for i := range got {
			if !closeOrBothNaN(got[i], want[i], 1e-5) {
				t.Fatalf("n=%d: value %d is %v, vector path %v", n, i, got[i], want[i])
			}
		}
	}
}

func closeOrBothNaN(a, b float32, tol float64) bool {
	if math.IsNaN(float64(a)) || math.IsNaN(float64(b)) {
		return math.IsNaN(float64(a)) == math.IsNaN(float64(b))
	}
	return math.Abs(float64(a)-float64(b)) <= tol*(1+math.Abs(float64(b)))
}

// BenchmarkShortRows times Softmax and LayerNorm over 12 288 values in
// short rows, on the short-row paths and on the row-by-row vector ones.
func BenchmarkShortRows(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const total = 12288
	x := randFloats(r, total)
	d := make([]float32, total)
	for _, n := range []int{12, 32, 64} {
		rows := total / n
		k := &layerNormKernel{eps: 1e-5, gamma: randFloats(r, n), beta: randFloats(r, n)}
		cases := []struct {
			name string
			f    func()
		}{
			{"softmax/short", func() { softmaxShortRows(d, x, n, 0, rows) }},
			{"softmax/long", func() { softmaxLongRows(d, x, n, 0, rows) }},
			{"layernorm/short", func() { k.rows32(d, x, n, 0, rows) }},
			{"layernorm/long", func() {
				for row := range rows {
					k.row32(d[row*n:(row+1)*n], x[row*n:(row+1)*n])
				}
			}},
		}
		for _, c := range cases {
			b.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(b *testing.B) {
				for b.Loop() {
					c.f()
				}
			})
		}
	}
}
