//go:build ort

package ort

import (
	"context"
	"fmt"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// BenchmarkRun measures a run of the example CNN at several batch sizes on
// one thread, Go-side conversion included.
func BenchmarkRun(b *testing.B) {
	requireLibrary(b)
	s, err := engine.LoadPath(context.Background(), Engine{}, "../../examples/models/digits/1/model.onnx", engine.Options{IntraOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			in := map[string]*tensor.Tensor{"input": tensor.New(tensor.Float32, batch, 1, 8, 8)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Run(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
