package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmKernels checks every kernel this CPU runs, the one-row kernels
// (GemmKernel.One) included, against a float64 reference over depths
// around the unrolling and every epilogue flag; a one-row kernel leaves
// the other rows of C as they were.
func TestGemmKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	kernels := testedGemmKernels()
	for _, k := range GemmKernels() {
		if k.One != nil {
			kernels = append(kernels, k.One)
		}
	}
	for _, k := range kernels {
		rows := k.MR
		if k.one {
			rows = 1
		}
		for _, kc := range []int{0, 1, 3, 4, 5, 8, 17, 256} {
			for flags := range Clamp << 1 {
				if flags&RowBias != 0 && flags&ColBias != 0 {
					continue
				}
				t.Run(fmt.Sprintf("%s/kc=%d/flags=%05b", k.Name, kc, flags), func(t *testing.T) {
					ldc := k.NR + 3
					a, b := randSlice(r, kc*k.MR), randSlice(r, kc*k.NR)
					c := randSlice(r, k.MR*ldc)
					ep := &Epilogue{Flags: flags, Alpha: 0.75, Lo: -0.5, Hi: 0.6}
					if flags&RowBias != 0 {
						ep.Bias = randSlice(r, k.MR)
					}
					if flags&ColBias != 0 {
						ep.Bias = randSlice(r, k.NR)
					}
					c[1] = float32(math.NaN()) // propagates when accumulated, else overwritten
					want := make([]float32, len(c))
					copy(want, c)
					for i := range rows {
						for j := range k.NR {
							var s float64
							for p := range kc {
								s += float64(a[p*k.MR+i]) * float64(b[p*k.NR+j])
							}
							want[i*ldc+j] = float32(reference(s, float64(c[i*ldc+j]), i, j, ep))
						}
					}
					k.Tile(kc, a, b, c, ldc, ep)
					for i := range c {
						g, w := float64(c[i]), float64(want[i])
						if math.IsNaN(w) != math.IsNaN(g) || math.Abs(g-w) > 1e-5*float64(kc+1) {
							t.Fatalf("c[%d] = %v, want %v", i, g, w)
						}
					}
				})
			}
		}
	}
}

// testedGemmKernels is GemmKernels with their Narrow kernels.
func testedGemmKernels() []*GemmKernel {
	var ks []*GemmKernel
	for _, k := range GemmKernels() {
		ks = append(ks, k)
		if k.Narrow != nil {
			ks = append(ks, k.Narrow)
		}
	}
	return ks
}

func reference(p, c float64, i, j int, ep *Epilogue) float64 {
	if ep.Flags&Scale != 0 {
		p *= float64(ep.Alpha)
	}
	if ep.Flags&Accumulate != 0 {
		p += c
	}
	if ep.Flags&RowBias != 0 {
		p += float64(ep.Bias[i])
	}
	if ep.Flags&ColBias != 0 {
		p += float64(ep.Bias[j])
	}
	if ep.Flags&Clamp != 0 && !math.IsNaN(p) {
		p = max(float64(ep.Lo), min(float64(ep.Hi), p))
	}
	return p
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

func TestTilePanicsOnShortSlices(t *testing.T) {
	for _, k := range testedGemmKernels() {
		t.Run(k.Name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			k.Tile(4, make([]float32, 4*k.MR-1), make([]float32, 4*k.NR), make([]float32, k.MR*k.NR), k.NR, &Epilogue{})
		})
	}
}

func BenchmarkGemmTile(b *testing.B) {
	for _, k := range testedGemmKernels() {
		for _, kc := range []int{64, 256} {
			b.Run(fmt.Sprintf("%s/kc=%d", k.Name, kc), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				a, bp := randSlice(r, kc*k.MR), randSlice(r, kc*k.NR)
				c := make([]float32, k.MR*k.NR)
				ep := &Epilogue{}
				for b.Loop() {
					k.Tile(kc, a, bp, c, k.NR, ep)
				}
				b.ReportMetric(2*float64(kc*k.MR*k.NR)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
