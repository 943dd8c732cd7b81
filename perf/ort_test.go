//go:build ort

package perf

import (
	"context"
	"os"
	"testing"

	"github.com/inferd/inferd/engine/ort"
)

// TestAgreementORT runs the example models on native and ONNX Runtime and
// requires their outputs to agree.
func TestAgreementORT(t *testing.T) {
	if os.Getenv(ort.EnvLibrary) == "" {
		t.Skipf("%s is not set: run scripts/test-ort.sh", ort.EnvLibrary)
	}
	for _, model := range []string{digitsCNN, digitsMLP} {
		t.Run(model, func(t *testing.T) {
			rep, err := Run(context.Background(), model, Config{
				Engines: []string{"native", ort.Name}, Batches: []int{1, 16}, Threads: []int{1, 2},
				Iterations: 5, Warmup: 1, Seed: 42,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Agreement) != 4 {
				t.Fatalf("%d agreements, want 4", len(rep.Agreement))
			}
			for _, a := range rep.Agreement {
				if !a.Agree {
					t.Errorf("ort disagrees with native, %d threads, batch %d: %+v", a.Threads, a.Batch, a.Outputs)
				}
				for _, d := range a.Outputs {
					t.Logf("%d threads, batch %d, %s: max abs %.3g, max rel %.3g", a.Threads, a.Batch, d.Name, d.MaxAbs, d.MaxRel)
				}
			}
			if v := rep.Engines[1].Version; v == "" {
				t.Error("the ort engine reports no version")
			}
			for _, r := range rep.Results {
				if r.GFLOPs <= 0 || r.Speedup <= 0 {
					t.Errorf("implausible result %+v", r)
				}
			}
		})
	}
}
