package native_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/tensor"
)

// maxRunAllocs bounds the allocations of a steady-state Run: two per
// output tensor (its data, and the tensor with its shape and the data's
// slice header, see tensor.New) and two for the map returning them, with
// room for a few outputs. yolo_detector (3 outputs) makes 8.
const maxRunAllocs = 10

// TestSteadyStateAllocs checks that a steady-state Run allocates a small
// constant number of objects, whatever the model's depth, batch size and
// thread count: buffers come from the arena, tensors are reused, and
// parallel regions recycle their state. The ResNet-18 and MobileNetV2 of
// scripts/gen-zoo.sh are checked too when they have been generated.
// (testing.AllocsPerRun runs with GOMAXPROCS 1, so regions stay on the
// calling goroutine; TestParallelRangeAllocs covers the helpers.)
func TestSteadyStateAllocs(t *testing.T) {
	root := filepath.Join("..", "..")
	zoo := os.Getenv("INFERD_ZOO")
	if zoo == "" {
		zoo = filepath.Join(root, zooDir)
	}
	models := []struct {
		name, path string
		sample     []int
		batches    []int
		// more gives the inputs after the first, for a batch size.
		more func(batch int) map[string]*tensor.Tensor
	}{
		{"digits", filepath.Join(root, "examples", "models", "digits", "1", "model.onnx"), []int{1, 8, 8}, []int{1, 32}, nil},
		{"digits-mlp", filepath.Join(root, "examples", "models", "digits-mlp", "1", "model.onnx"), []int{1, 8, 8}, []int{1, 32}, nil},
		{"resnet18", filepath.Join(zoo, "resnet18", "model.onnx"), []int{3, 224, 224}, []int{1}, nil},
		{"mobilenet_v2", filepath.Join(zoo, "mobilenet_v2", "model.onnx"), []int{3, 224, 224}, []int{1}, nil},
		{"transformer_encoder", filepath.Join(root, "examples", "zoo", "transformer_encoder", "model.onnx"), []int{12}, []int{1, 32}, nil},
		{"transformer_gelu", filepath.Join(zoo, "transformer_gelu", "model.onnx"), []int{32}, []int{1, 32}, nil},
		{"crnn", filepath.Join(zoo, "crnn", "model.onnx"), []int{1, 32, 128}, []int{1}, nil},
		{"db_detector", filepath.Join(zoo, "db_detector", "model.onnx"), []int{3, 128, 128}, []int{1}, nil},
		{"vad_lstm", filepath.Join(zoo, "vad_lstm", "model.onnx"), []int{512}, []int{1, 32}, vadInputs},
		{"yolo_detector", filepath.Join(zoo, "yolo_detector", "model.onnx"), []int{3, 128, 128}, []int{1}, nil},
	}
	for _, m := range models {
		for _, batch := range m.batches {
			for _, threads := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/batch=%d/threads=%d", m.name, batch, threads), func(t *testing.T) {
					if _, err := os.Stat(m.path); err != nil {
						t.Skipf("%s not generated: run scripts/gen-zoo.sh", m.path)
					}
					if testing.Short() && len(m.batches) == 1 {
						t.Skip("large model in -short mode")
					}
					s, err := engine.LoadPath(context.Background(), native.Engine{}, m.path, engine.Options{IntraOpThreads: threads})
					if err != nil {
						t.Fatal(err)
					}
					defer s.Close()
					shape := append([]int{batch}, m.sample...)
					in := map[string]*tensor.Tensor{s.Inputs()[0].Name: tensor.New(s.Inputs()[0].DType, shape...)}
					if m.more != nil {
						maps.Copy(in, m.more(batch))
					}
					// The first runs plan the shapes and fill the arena.
					for range 3 {
						if _, err := s.Run(context.Background(), in); err != nil {
							t.Fatal(err)
						}
					}
					var runErr error
					allocs := testing.AllocsPerRun(5, func() {
						if _, err := s.Run(context.Background(), in); err != nil {
							runErr = err
						}
					})
					if runErr != nil {
						t.Fatal(runErr)
					}
					t.Logf("%v allocations per run", allocs)
					if allocs > maxRunAllocs {
						t.Errorf("a steady-state Run allocates %v objects, want at most %d", allocs, maxRunAllocs)
					}
				})
			}
		}
	}
}

// vadInputs are the voice-activity model's inputs besides the audio: the
// sample rate (choosing the If's 16 kHz branch) and the LSTM state.
func vadInputs(batch int) map[string]*tensor.Tensor {
	return map[string]*tensor.Tensor{"sr": tensor.Scalar(int64(16000)), "state": tensor.New(tensor.Float32, 2, batch, 64)}
}

// TestAlternatingBatches runs one session at batch 32, 1 and 32 again:
// the arena hands each alloc the buffer it got in the last run when that
// is large enough, so the runs after a change of shape must still give
// the same outputs (the batch-1 run the first row of the batch-32 one).
func TestAlternatingBatches(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "models", "digits", "1", "model.onnx")
	s, err := engine.LoadPath(context.Background(), native.Engine{}, path, engine.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	data := make([]float32, 32*64)
	for i := range data {
		data[i] = float32(i%17) / 4
	}
	name := s.Inputs()[0].Name
	run := func(batch int) []float32 {
		out, err := s.Run(context.Background(), map[string]*tensor.Tensor{name: tensor.MustFromSlice(data[:batch*64], batch, 1, 8, 8)})
		if err != nil {
			t.Fatal(err)
		}
		y := out[s.Outputs()[0].Name]
		if y == nil || y.DType() != tensor.Float32 {
			t.Fatalf("output %s: %v", s.Outputs()[0].Name, y)
		}
		return slices.Clone(tensor.Data[float32](y))
	}
	big := run(32)
	one := run(1)
	again := run(32)
	if !slices.Equal(big, again) {
		t.Fatal("batch 32 after batch 1 differs from the first batch-32 run")
	}
	if !slices.Equal(one, big[:len(one)]) {
		t.Fatalf("batch 1 gives %v, the first row of batch 32 %v", one, big[:len(one)])
	}
}

// TestSteadyStateAfterBatches runs the transformer encoder at every batch
// size from 2 to 32, as a batcher's calls come under load, then at batch 1
// as when the load falls to one client: after a few runs, batch 1 must be
// back to its steady-state allocations. (The arena's free list filled with
// the large batches' buffers used to keep them for good, so that every
// batch-1 buffer was allocated anew, run after run: 49 allocations and
// 17 KB per run instead of 4.)
func TestSteadyStateAfterBatches(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "zoo", "transformer_encoder", "model.onnx")
	s, err := engine.LoadPath(context.Background(), native.Engine{}, path, engine.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inputs := func(batch int) map[string]*tensor.Tensor {
		return map[string]*tensor.Tensor{s.Inputs()[0].Name: tensor.New(s.Inputs()[0].DType, batch, 12)}
	}
	run := func(in map[string]*tensor.Tensor) {
		if _, err := s.Run(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	for batch := 2; batch <= 32; batch++ {
		for range 3 {
			run(inputs(batch))
		}
	}
	one := inputs(1)
	for range 40 { // the runs that replace the stale buffers
		run(one)
	}
	allocs := testing.AllocsPerRun(5, func() { run(one) })
	t.Logf("%v allocations per run", allocs)
	if allocs > maxRunAllocs {
		t.Errorf("a batch-1 Run after larger batches allocates %v objects, want at most %d", allocs, maxRunAllocs)
	}
}
