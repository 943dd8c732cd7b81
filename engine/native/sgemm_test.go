package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveGemm is the reference C = alpha·op(A)·op(B) + beta·C in float64.
func naiveGemm(m, n, k int, alpha float32, a, b gemmOperand, beta float32, c []float32, ldc int) []float32 {
	out := make([]float32, len(c))
	copy(out, c)
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				s += float64(a.at(i, p)) * float64(b.at(p, j))
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*ldc+j] = float32(v)
		}
	}
	return out
}

func randFloats(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

func TestSGEMM(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{
		{1, 1, 1}, {1, 7, 5}, {7, 1, 5}, {1, 1, 300}, {2, 4, 3}, {3, 5, 7}, {5, 3, 1},
		{17, 33, 65}, {64, 64, 64}, {130, 9, 257}, {9, 130, 513}, {3, 2100, 20}, {260, 70, 300},
		{4, 4, 0}, {0, 5, 5},
	}
	for _, sz := range sizes {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				t.Run(fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v", m, n, k, tA, tB), func(t *testing.T) {
					lda, ldb, ldc := k+1, n+2, n+3
					if tA {
						lda = m + 1
					}
					if tB {
						ldb = k + 2
					}
					a := rowMajor(randFloats(r, max(m, k)*lda+1), lda, tA)
					b := rowMajor(randFloats(r, max(n, k)*ldb+1), ldb, tB)
					c := randFloats(r, max(m*ldc, 1))
					packs := map[string][2]gemmOperand{"none": {a, b}, "A": {prepackA(a, m, k), b}, "B": {a, prepackB(b, k, n)}}
					for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
						alpha, beta := ab[0], ab[1]
						want := naiveGemm(m, n, k, alpha, a, b, beta, c, ldc)
						for pack, ops := range packs {
							for _, threads := range []int{1, 3} {
								got := slices.Clone(c)
								if beta == 0 {
									// C must not be read: poison the m×n view.
									for i := range m {
										for j := range n {
											got[i*ldc+j] = float32(math.NaN())
										}
									}
								}
								sgemm(m, n, k, alpha, ops[0], ops[1], beta, got, ldc, threads)
								for i := range want {
									if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*float64(k+1) || math.IsNaN(float64(got[i])) {
										t.Fatalf("alpha=%v beta=%v pack=%s threads=%d: c[%d] = %v, want %v", alpha, beta, pack, threads, i, got[i], want[i])
									}
								}
							}
						}
					}
				})
			}
		}
	}
}

func BenchmarkSGEMM(b *testing.B) {
	for _, size := range []int{64, 256, 512} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("n=%d/threads=%d", size, threads), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				a := rowMajor(randFloats(r, size*size), size, false)
				bm := rowMajor(randFloats(r, size*size), size, false)
				c := make([]float32, size*size)
				for b.Loop() {
					sgemm(size, size, size, 1, a, bm, 0, c, size, threads)
				}
				flops := 2 * float64(size) * float64(size) * float64(size)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
