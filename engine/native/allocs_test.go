package native_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/tensor"
)

// maxRunAllocs bounds the allocations of a steady-state Run: the output
// tensor (its data, the data's interface value, the tensor and its shape)
// and the map returning it, with a little room.
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
	}{
		{"digits", filepath.Join(root, "examples", "models", "digits", "1", "model.onnx"), []int{1, 8, 8}, []int{1, 32}},
		{"digits-mlp", filepath.Join(root, "examples", "models", "digits-mlp", "1", "model.onnx"), []int{1, 8, 8}, []int{1, 32}},
		{"resnet18", filepath.Join(zoo, "resnet18", "model.onnx"), []int{3, 224, 224}, []int{1}},
		{"mobilenet_v2", filepath.Join(zoo, "mobilenet_v2", "model.onnx"), []int{3, 224, 224}, []int{1}},
		{"transformer_encoder", filepath.Join(root, "examples", "zoo", "transformer_encoder", "model.onnx"), []int{12}, []int{1, 32}},
		{"transformer_gelu", filepath.Join(zoo, "transformer_gelu", "model.onnx"), []int{32}, []int{1, 32}},
		{"crnn", filepath.Join(zoo, "crnn", "model.onnx"), []int{1, 32, 128}, []int{1}},
		{"db_detector", filepath.Join(zoo, "db_detector", "model.onnx"), []int{3, 128, 128}, []int{1}},
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
