package native

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// TestReviewVaryingBatchResults (review s12): a session run on batch
// sizes that change every run (as a dynamic batcher's calls) answers each
// run as a session that only ever saw that size, and the outputs of the
// earlier runs, still held by the caller, are not overwritten by later
// runs.
func TestReviewVaryingBatchResults(t *testing.T) {
	models := varyingModels()
	sizes := []int{18, 3, 32, 17, 1, 22, 9, 18, 14, 26, 5, 20, 18, 31, 2, 16, 12, 7, 24, 19, 1, 3, 1, 2, 1, 33, 1}
	for _, m := range models {
		for _, threads := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/threads=%d", m.name, threads), func(t *testing.T) {
				if _, err := os.Stat(m.path); err != nil {
					t.Skipf("%s not generated", m.path)
				}
				load := func() engine.Session {
					s, err := engine.LoadPath(context.Background(), Engine{}, m.path, engine.Options{IntraOpThreads: threads})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { s.Close() })
					return s
				}
				s := load()
				info := s.Inputs()[0]
				r := rand.New(rand.NewPCG(7, 8))
				var ins []map[string]*tensor.Tensor
				for _, rows := range sizes {
					ins = append(ins, map[string]*tensor.Tensor{info.Name: reviewInput(r, info.DType, append([]int{rows}, m.sample...))})
				}
				var got []map[string]*tensor.Tensor
				for round := range 3 {
					for _, in := range ins {
						out, err := s.Run(context.Background(), in)
						if err != nil {
							t.Fatal(err)
						}
						if round == 2 {
							got = append(got, out)
						}
					}
				}
				// References: one fresh session per size, each run once.
				refs := map[int]engine.Session{}
				for i, in := range ins {
					rows := sizes[i]
					if refs[rows] == nil {
						refs[rows] = load()
					}
					want, err := refs[rows].Run(context.Background(), in)
					if err != nil {
						t.Fatal(err)
					}
					for name, w := range want {
						g := got[i][name]
						if !slices.Equal(g.Shape(), w.Shape()) {
							t.Fatalf("run %d (%d rows) output %q: shape %v, want %v", i, rows, name, g.Shape(), w.Shape())
						}
						gf, ok1 := g.Data().([]float32)
						wf, ok2 := w.Data().([]float32)
						if !ok1 || !ok2 {
							continue
						}
						if d := maxAbsDiff(gf, wf); !(d <= 1e-4) {
							t.Errorf("run %d (%d rows) output %q: max |diff| %g against a fresh session", i, rows, name, d)
						}
					}
				}
			})
		}
	}
}

func reviewInput(r *rand.Rand, dt tensor.DType, shape []int) *tensor.Tensor {
	n := tensor.NumElements(shape)
	switch dt {
	case tensor.Int64:
		d := make([]int64, n)
		for i := range d {
			d[i] = int64(r.IntN(50))
		}
		return tensor.MustFromSlice(d, shape...)
	default:
		d := make([]float32, n)
		for i := range d {
			d[i] = r.Float32()*2 - 1
		}
		return tensor.MustFromSlice(d, shape...)
	}
}
