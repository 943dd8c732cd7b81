package native

import (
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestLayerNormalizationRows compares LayerNormalization over the last
// axis with one output (the float32 row kernel) against the same node
// asked for its Mean and InvStdDev too (the float64 path).
func TestLayerNormalizationRows(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	x := tensor.MustFromSlice(randFloats(r, 4*5*24), 4, 5, 24)
	inits := map[string]*tensor.Tensor{"g": tensor.MustFromSlice(randFloats(r, 24), 24), "b": tensor.MustFromSlice(randFloats(r, 24), 24)}
	ins := []onnx.ValueInfo{input("x", tensor.Float32, 4, 5, 24)}
	run := func(outs []string) *tensor.Tensor {
		n := node("LayerNormalization", []string{"x", "g", "b"}, outs, aInt("axis", -1), aFloat("epsilon", 1e-3))
		return runPlanned(t, model(17, []*onnx.Node{n}, ins, outs, inits), feeds("x", x), true, -1)["y"]
	}
	assertClose(t, run([]string{"y"}), run([]string{"y", "mean", "inv"}))
}
