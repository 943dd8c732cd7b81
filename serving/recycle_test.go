package serving

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/tensor"
)

// TestRecycle: a version hands outputs back to its engine, which writes
// the next answers into them; with batching, where a request's output is a
// slice of the batch's, it does not.
func TestRecycle(t *testing.T) {
	tests := []struct {
		name     string
		config   string // appended to the digits model's config.yaml
		wantSame bool
	}{
		{"plain", "", true},
		{"batching", "batching:\n  max_batch_size: 8\n  max_queue_delay: 1ms\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testutil.ExamplesCopy(t)
			cfg := filepath.Join(dir, "digits", "config.yaml")
			data, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cfg, append(data, tt.config...), 0o644); err != nil {
				t.Fatal(err)
			}
			m := New()
			defer m.Close()
			if err := m.Load(context.Background(), repository.NewDir(dir)); err != nil {
				t.Fatal(err)
			}
			v, err := m.Acquire("digits", "", "")
			if err != nil {
				t.Fatal(err)
			}
			defer v.Release()
			in := tensor.New(tensor.Float32, 2, 1, 8, 8)
			for i := range tensor.Data[float32](in) {
				tensor.Data[float32](in)[i] = float32(i%16) / 16
			}
			infer := func() *tensor.Tensor {
				res, err := v.Infer(context.Background(), &Request{Inputs: map[string]*tensor.Tensor{"input": in}})
				if err != nil {
					t.Fatal(err)
				}
				return res.Outputs[0].Tensor
			}
			want := infer().Clone()
			v.Recycle(infer()) // starts the engine's tracking
			out := infer()
			first := &tensor.Data[float32](out)[0]
			v.Recycle(out)
			got := infer()
			if same := &tensor.Data[float32](got)[0] == first; same != tt.wantSame {
				t.Errorf("next answer in the memory handed back: %v, want %v", same, tt.wantSame)
			}
			if !slices.Equal(tensor.Data[float32](got), tensor.Data[float32](want)) {
				t.Errorf("answer after recycling %v, want %v", got, want)
			}
		})
	}
}
