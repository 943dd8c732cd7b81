package engine_test

import (
	"errors"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// TestCheckInputs covers each check, and that of several unknown inputs
// the error names the first alphabetically, every time.
func TestCheckInputs(t *testing.T) {
	want := []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 2}}, {Name: "y", DType: tensor.Int64}}
	x, y := tensor.New(tensor.Float32, 3, 2), tensor.New(tensor.Int64, 4)
	tests := []struct {
		name   string
		inputs map[string]*tensor.Tensor
		err    string // "" for none
	}{
		{"fits", map[string]*tensor.Tensor{"x": x, "y": y}, ""},
		{"missing", map[string]*tensor.Tensor{"x": x}, `invalid input: missing input "y"`},
		{"nil", map[string]*tensor.Tensor{"x": x, "y": nil}, `invalid input: missing input "y"`},
		{"datatype", map[string]*tensor.Tensor{"x": y, "y": y}, `invalid input: input "x" has datatype INT64, model expects FP32`},
		{"shape", map[string]*tensor.Tensor{"x": tensor.New(tensor.Float32, 3, 3), "y": y}, `invalid input: input "x" has shape [3 3], model expects [-1 2]`},
		{"unknown", map[string]*tensor.Tensor{"x": x, "y": y, "z": y}, `invalid input: unknown input "z" (model inputs: [x y])`},
		{"several unknown", map[string]*tensor.Tensor{"x": x, "y": y, "q": y, "c": y, "m": y, "w": y, "e": y},
			`invalid input: unknown input "c" (model inputs: [x y])`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 { // map order varies from one call to the next
				err := engine.CheckInputs(want, tt.inputs)
				if tt.err == "" {
					if err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err == nil || err.Error() != tt.err || !errors.Is(err, engine.ErrInvalidInput) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
			}
		})
	}
}
