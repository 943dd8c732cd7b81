package native_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/enginetest"
	"github.com/inferd/inferd/engine/native"
)

// BenchmarkModels runs the conformance suite's example-shaped models
// (a small CNN and an MLP) end to end.
func BenchmarkModels(b *testing.B) {
	cases, err := enginetest.Cases()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		if c.Name != "model_cnn" && c.Name != "model_mlp" {
			continue
		}
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", c.Name, threads), func(b *testing.B) {
				path, err := c.WriteModel(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				s, err := engine.LoadPath(context.Background(), native.Engine{}, path, engine.Options{IntraOpThreads: threads})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Run(context.Background(), c.Inputs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
