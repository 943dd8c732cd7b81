package servertest

import (
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/fake" // registers the fake engine
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/tensor"
)

// FakeRepository is an in-memory repository for tests where the numbers
// do not matter: model m, versions 1 (y = 2x) and 2 (y = 3x) of the fake
// engine, input x and output y of shape [-1, 2], both versions served
// (version_policy: all) and labelled stable: 1.
func FakeRepository() *repository.Memory {
	src := repository.NewMemory()
	src.Put("m/config.yaml", []byte("engine: fake\nversion_policy: all\nversion_labels: {stable: 1}\n"))
	for v, scale := range map[string]float64{"1": 2, "2": 3} {
		src.Put("m/"+v+"/model.onnx", fake.Model{
			Inputs:  []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 2}}},
			Outputs: []engine.TensorInfo{{Name: "y", DType: tensor.Float32, Shape: []int{-1, 2}}},
			Scale:   scale,
		}.Bytes())
	}
	return src
}
