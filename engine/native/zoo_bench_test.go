package native_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/tensor"
)

// BenchmarkRealModels runs the example models and, when
// scripts/gen-zoo.sh has generated them, ResNet-18, MobileNetV2 and the
// zoo end to end on random inputs, per batch size and thread count, reporting
// allocations per run (the steady state: the first run is not measured).
func BenchmarkRealModels(b *testing.B) {
	root := filepath.Join("..", "..")
	zoo := os.Getenv("INFERD_ZOO")
	if zoo == "" {
		zoo = filepath.Join(root, zooDir)
	}
	models := []struct {
		name, path string
		sample     []int
		// more gives the inputs after the first, for a batch size.
		more func(batch int) map[string]*tensor.Tensor
	}{
		{"digits", filepath.Join(root, "examples", "models", "digits", "1", "model.onnx"), []int{1, 8, 8}, nil},
		{"digits-mlp", filepath.Join(root, "examples", "models", "digits-mlp", "1", "model.onnx"), []int{1, 8, 8}, nil},
		{"resnet18", filepath.Join(zoo, "resnet18", "model.onnx"), []int{3, 224, 224}, nil},
		{"mobilenet_v2", filepath.Join(zoo, "mobilenet_v2", "model.onnx"), []int{3, 224, 224}, nil},
		{"db_detector", filepath.Join(zoo, "db_detector", "model.onnx"), []int{3, 128, 128}, nil},
		{"crnn", filepath.Join(zoo, "crnn", "model.onnx"), []int{1, 32, 128}, nil},
		{"transformer_encoder", filepath.Join(root, "examples", "zoo", "transformer_encoder", "model.onnx"), []int{12}, nil},
		{"transformer_gelu", filepath.Join(zoo, "transformer_gelu", "model.onnx"), []int{32}, nil},
		{"vad_lstm", filepath.Join(zoo, "vad_lstm", "model.onnx"), []int{512}, vadInputs},
		{"yolo_detector", filepath.Join(zoo, "yolo_detector", "model.onnx"), []int{3, 128, 128}, nil},
	}
	for _, m := range models {
		for _, batch := range []int{1, 32} {
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/batch=%d/threads=%d", m.name, batch, threads), func(b *testing.B) {
					if _, err := os.Stat(m.path); err != nil {
						b.Skipf("%s not generated: run scripts/gen-zoo.sh", m.path)
					}
					s, err := engine.LoadPath(context.Background(), native.Engine{}, m.path, engine.Options{IntraOpThreads: threads})
					if err != nil {
						b.Fatal(err)
					}
					defer s.Close()
					shape := append([]int{batch}, m.sample...)
					data := make([]float32, tensor.NumElements(shape))
					r := rand.New(rand.NewPCG(1, 2))
					for i := range data {
						data[i] = r.Float32()
					}
					x := tensor.MustFromSlice(data, shape...)
					if s.Inputs()[0].DType == tensor.Int64 {
						// Token ids.
						ids := make([]int64, len(data))
						for i, v := range data {
							ids[i] = int64(v * 100)
						}
						x = tensor.MustFromSlice(ids, shape...)
					}
					in := map[string]*tensor.Tensor{s.Inputs()[0].Name: x}
					if m.more != nil {
						maps.Copy(in, m.more(batch))
					}
					if _, err := s.Run(context.Background(), in); err != nil {
						b.Fatal(err)
					}
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
	}
}
