package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// rowLengths exercise rows shorter than a vector, whole vectors and
// vectors with a masked tail.
var rowLengths = []int{1, 2, 7, 12, 15, 16, 17, 32, 33, 64, 100}

// TestSoftmaxRows checks every kernel against Softmax in float64 on random
// rows, that nothing past the rows is written, and the special rows: a NaN
// or +Inf anywhere, or only −Inf, makes the row NaN; −Inf values are 0.
func TestSoftmaxRows(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, k := range TapKernels() {
		for _, n := range rowLengths {
			t.Run(fmt.Sprintf("%s/n=%d", k.Name, n), func(t *testing.T) {
				rows := 9
				src := make([]float32, rows*n)
				for i := range src {
					src[i] = float32(r.NormFloat64() * 5)
				}
				src[n-1] = float32(math.Inf(-1)) // row 0: a −Inf value
				src[n] = float32(math.NaN())     // row 1: NaN
				src[3*n-1] = float32(math.Inf(1))
				for i := 3 * n; i < 4*n; i++ {
					src[i] = float32(math.Inf(-1))
				}
				dst := make([]float32, rows*n+1)
				dst[rows*n] = 42
				k.SoftmaxRows(dst[:rows*n], src, n)
				if dst[rows*n] != 42 {
					t.Fatalf("wrote past the rows: %v", dst[rows*n])
				}
				for row := range rows {
					want := softmax64(src[row*n : (row+1)*n])
					for i, w := range want {
						got := dst[row*n+i]
						if w != w || got != got {
							if w == w || got == got {
								t.Fatalf("row %d [%d]: got %v, want %v", row, i, got, w)
							}
							continue
						}
						if math.Abs(float64(got)-w) > 2e-6*math.Abs(w)+1e-7 {
							t.Fatalf("row %d [%d]: got %v, want %v", row, i, got, w)
						}
					}
				}
			})
		}
	}
}

// softmax64 is Softmax in float64 (NaN for a row with a NaN or +Inf, or
// only −Inf: their maximum minus itself).
func softmax64(x []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		if v != v {
			m = math.NaN()
			break
		}
		m = max(m, float64(v))
	}
	d := make([]float64, len(x))
	var sum float64
	for i, v := range x {
		d[i] = math.Exp(float64(v) - m)
		sum += d[i]
	}
	for i := range d {
		d[i] /= sum
	}
	return d
}

// TestLayerNormRows checks every kernel against LayerNorm in float64 on
// random rows with an offset (the mean), that nothing past the rows is
// written, and that a NaN stays in its row.
func TestLayerNormRows(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, k := range TapKernels() {
		for _, n := range rowLengths {
			t.Run(fmt.Sprintf("%s/n=%d", k.Name, n), func(t *testing.T) {
				rows := 7
				src, gamma, beta := make([]float32, rows*n), make([]float32, n), make([]float32, n)
				for i := range src {
					src[i] = float32(r.NormFloat64()*3 + 10)
				}
				for i := range gamma {
					gamma[i], beta[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
				}
				src[2*n] = float32(math.NaN())
				dst := make([]float32, rows*n+1)
				dst[rows*n] = 42
				const eps = 1e-5
				k.LayerNormRows(dst[:rows*n], src, gamma, beta, n, eps)
				if dst[rows*n] != 42 {
					t.Fatalf("wrote past the rows: %v", dst[rows*n])
				}
				for row := range rows {
					x := src[row*n : (row+1)*n]
					var mean, ss float64
					for _, v := range x {
						mean += float64(v)
					}
					mean /= float64(n)
					for _, v := range x {
						ss += (float64(v) - mean) * (float64(v) - mean)
					}
					inv := 1 / math.Sqrt(ss/float64(n)+eps)
					for i, v := range x {
						w := (float64(v)-mean)*inv*float64(gamma[i]) + float64(beta[i])
						got := dst[row*n+i]
						if w != w {
							if got == got {
								t.Fatalf("row %d [%d]: got %v, want NaN", row, i, got)
							}
							continue
						}
						if math.Abs(float64(got)-w) > 1e-4*(math.Abs(float64(gamma[i]))+math.Abs(w)) {
							t.Fatalf("row %d [%d]: got %v, want %v", row, i, got, w)
						}
					}
				}
			})
		}
	}
}

func BenchmarkRows(b *testing.B) {
	k := TapKernels()[0]
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{12, 32, 64} {
		src, dst := randSlice(r, 4096/n*n), make([]float32, 4096/n*n)
		g, be := randSlice(r, n), randSlice(r, n)
		b.Run(fmt.Sprintf("%s/softmax/n=%d", k.Name, n), func(b *testing.B) {
			b.SetBytes(int64(4 * len(dst)))
			for b.Loop() {
				k.SoftmaxRows(dst, src, n)
			}
		})
		b.Run(fmt.Sprintf("%s/layernorm/n=%d", k.Name, n), func(b *testing.B) {
			b.SetBytes(int64(4 * len(dst)))
			for b.Loop() {
				k.LayerNormRows(dst, src, g, be, n, 1e-5)
			}
		})
	}
}
