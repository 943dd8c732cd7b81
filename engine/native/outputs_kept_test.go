package native

import (
	"context"
	"slices"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/tensor"
)

// TestOutputsOutliveLaterRuns: the tensors a run returns belong to the
// caller; later runs of the session (with their reused buffers) must not
// write into them.
func TestOutputsOutliveLaterRuns(t *testing.T) {
	for _, model := range []string{"digits", "digits-mlp"} {
		t.Run(model, func(t *testing.T) {
			sess, err := engine.LoadPath(context.Background(), &Engine{}, testutil.ExamplesDir()+"/"+model+"/1/model.onnx", engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			input := func(v float32) map[string]*tensor.Tensor {
				x := tensor.New(tensor.Float32, 1, 1, 8, 8)
				for i := range tensor.Data[float32](x) {
					tensor.Data[float32](x)[i] = v * float32(i%7)
				}
				return map[string]*tensor.Tensor{"input": x}
			}
			first, err := sess.Run(context.Background(), input(0.1))
			if err != nil {
				t.Fatal(err)
			}
			kept := slices.Clone(tensor.Data[float32](first["logits"]))
			for i := range 5 {
				if _, err := sess.Run(context.Background(), input(float32(i)+0.5)); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(kept, tensor.Data[float32](first["logits"])) {
				t.Errorf("a later run changed the outputs of an earlier one")
			}
		})
	}
}
