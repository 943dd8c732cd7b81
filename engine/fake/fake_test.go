package fake_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/fake"
	"github.com/inferd/inferd/tensor"
)

func TestFakeEngine(t *testing.T) {
	ctx := context.Background()
	e, err := engine.Get(fake.Name)
	if err != nil {
		t.Fatal(err)
	}
	m := fake.Model{
		Inputs:  []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 2}}, {Name: "ids", DType: tensor.Int64, Shape: []int{-1}}},
		Outputs: []engine.TensorInfo{{Name: "y", DType: tensor.Float32, Shape: []int{-1, 2}}, {Name: "ids_out", DType: tensor.Int64, Shape: []int{-1}}},
		Scale:   3,
	}
	for _, tc := range []struct{ name, data, want string }{
		{"not JSON", "\x08\x01", "not a fake model"},
		{"load error", string(fake.Model{LoadError: "boom"}.Bytes()), "boom"},
		{"no tensors", "{}", "needs inputs and outputs"},
	} {
		if _, err := e.Load(ctx, engine.ModelFile{Name: "m.onnx", Data: []byte(tc.data)}, engine.Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	s, err := e.Load(ctx, engine.ModelFile{Name: "m.onnx", Data: m.Bytes()}, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(ctx, map[string]*tensor.Tensor{
		"x":   tensor.MustFromSlice([]float32{1, 2}, 1, 2),
		"ids": tensor.MustFromSlice([]int64{7}, 1),
	})
	if err != nil {
		t.Fatal(err)
	}
	if y := tensor.Data[float32](out["y"]); y[0] != 3 || y[1] != 6 || tensor.Data[int64](out["ids_out"])[0] != 7 {
		t.Fatalf("outputs %v %v", out["y"], out["ids_out"])
	}
	if _, err := s.Run(ctx, map[string]*tensor.Tensor{"x": tensor.MustFromSlice([]float32{1}, 1, 1)}); !errors.Is(err, engine.ErrInvalidInput) {
		t.Errorf("bad input: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(ctx, nil); err == nil {
		t.Error("Run after Close succeeded")
	}
}
