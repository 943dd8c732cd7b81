package native

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// TestReviewConcurrentVaryingBatch (review s12): goroutines sharing one
// session, each on its own sequence of batch sizes, answer as a fresh
// session per size (the kernels' shape caches and their tags are shared).
func TestReviewConcurrentVaryingBatch(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "zoo", "transformer_encoder", "model.onnx")
	load := func() engine.Session {
		s, err := engine.LoadPath(context.Background(), Engine{}, path, engine.Options{IntraOpThreads: 2})
		if err != nil {
			t.Skip(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s := load()
	name := s.Inputs()[0].Name
	r := rand.New(rand.NewPCG(2, 3))
	ins := map[int]map[string]*tensor.Tensor{}
	wants := map[int][]float32{}
	for rows := 1; rows <= 12; rows++ {
		ins[rows] = map[string]*tensor.Tensor{name: reviewInput(r, s.Inputs()[0].DType, []int{rows, 12})}
		out, err := load().Run(context.Background(), ins[rows])
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out {
			wants[rows] = append([]float32(nil), tensor.Data[float32](o)...)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr := rand.New(rand.NewPCG(uint64(g), 7))
			for range 150 {
				rows := 1 + rr.IntN(12)
				out, err := s.Run(context.Background(), ins[rows])
				if err != nil {
					errs <- err
					return
				}
				for _, o := range out {
					if d := maxAbsDiff(tensor.Data[float32](o), wants[rows]); !(d <= 1e-4) {
						errs <- fmt.Errorf("goroutine %d, %d rows: off by %g", g, rows, d)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
