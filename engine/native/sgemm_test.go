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
		{1, 96, 600}, {4, 4, 0}, {0, 5, 5},
	}
	for _, impl := range gemmImpls() {
		for _, sz := range sizes {
			m, n, k := sz[0], sz[1], sz[2]
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/%dx%dx%d/tA=%v/tB=%v", impl.kern.Name, m, n, k, tA, tB), func(t *testing.T) {
						testSGEMM(t, r, impl, m, n, k, tA, tB)
					})
				}
			}
		}
	}
}

func testSGEMM(t *testing.T, r *rand.Rand, impl *gemmImpl, m, n, k int, tA, tB bool) {
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
	packs := map[string][2]gemmOperand{"none": {a, b}, "A": {impl.prepackA(a, m, k), b}, "B": {a, impl.prepackB(b, k, n)}}
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
				sgemmEp(impl, m, n, k, alpha, ops[0], ops[1], beta, got, ldc, threads, nil)
				for i := range want {
					if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*float64(k+1) || math.IsNaN(float64(got[i])) {
						t.Fatalf("alpha=%v beta=%v pack=%s threads=%d: c[%d] = %v, want %v", alpha, beta, pack, threads, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestSGEMMEpilogue checks the fused bias, clamp and post-function against
// the product followed by the same steps, for every kernel, over sizes
// with partial tiles and several depth blocks.
func TestSGEMMEpilogue(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	double := func(d, x []float32) {
		for i := range d {
			d[i] = 2 * x[i]
		}
	}
	for _, impl := range gemmImpls() {
		for _, sz := range [][3]int{{1, 1, 1}, {9, 33, 7}, {20, 50, 600}, {130, 40, 17}, {7, 1, 30}, {3, 5, 0}} {
			m, n, k := sz[0], sz[1], sz[2]
			for _, kind := range []string{"row", "col", "none"} {
				t.Run(fmt.Sprintf("%s/%dx%dx%d/%s", impl.kern.Name, m, n, k, kind), func(t *testing.T) {
					a := rowMajor(randFloats(r, m*k), k, false)
					b := rowMajor(randFloats(r, k*n), n, false)
					ep := &gemmEpilogue{clamp: true, lo: -1, hi: 1.5, post: double}
					switch kind {
					case "row":
						ep.rowBias = randFloats(r, m)
					case "col":
						ep.colBias = randFloats(r, n)
					}
					c := randFloats(r, m*n)
					want := naiveGemm(m, n, k, 1, a, b, 0.5, c, n)
					ep.applyGo(want, n, 0, m, 0, n)
					for _, pack := range []string{"none", "A", "B"} {
						opA, opB := a, b
						switch pack {
						case "A":
							opA = impl.prepackA(a, m, k)
						case "B":
							opB = impl.prepackB(b, k, n)
						}
						got := slices.Clone(c)
						sgemmEp(impl, m, n, k, 1, opA, opB, 0.5, got, n, 2, ep)
						for i := range want {
							if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*float64(k+1) {
								t.Fatalf("pack=%s: c[%d] = %v, want %v", pack, i, got[i], want[i])
							}
						}
					}
				})
			}
		}
	}
}

// BenchmarkSGEMM measures square products with every kernel, the A
// operand packed beforehand (as constant weights are).
func BenchmarkSGEMM(b *testing.B) {
	for _, impl := range gemmImpls() {
		for _, size := range []int{64, 256, 512, 1024} {
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/n=%d/threads=%d", impl.kern.Name, size, threads), func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 2))
					a := impl.prepackA(rowMajor(randFloats(r, size*size), size, false), size, size)
					bm := rowMajor(randFloats(r, size*size), size, false)
					c := make([]float32, size*size)
					for b.Loop() {
						sgemmEp(impl, size, size, size, 1, a, bm, 0, c, size, threads, nil)
					}
					flops := 2 * float64(size) * float64(size) * float64(size)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
