package runner

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// TestCheckNaN: an input with a NaN or an infinity is refused unless
// allowed, and of several, the error names the first alphabetically,
// every time.
func TestCheckNaN(t *testing.T) {
	var infos []engine.TensorInfo
	inputs := map[string]*tensor.Tensor{}
	for _, name := range []string{"d", "b", "ok", "e", "c", "a"} {
		infos = append(infos, engine.TensorInfo{Name: name, DType: tensor.Float32, Shape: []int{-1}})
		v := float32(math.NaN())
		if name == "ok" {
			v = 1
		}
		inputs[name] = tensor.MustFromSlice([]float32{1, v}, 2)
	}
	next := &Func{In: infos, Fn: func(context.Context, map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		return map[string]*tensor.Tensor{}, nil
	}}
	allowA := func(name string) bool { return name == "a" }
	r := Chain(next, Check(infos, nil, allowA))
	for range 20 { // map order varies from one call to the next
		_, err := r.Run(context.Background(), inputs)
		if err == nil || !errors.Is(err, engine.ErrInvalidInput) || !strings.HasPrefix(err.Error(), `invalid input: input "b": `) {
			t.Fatalf("error %v, want one naming input \"b\" (\"a\" allows NaN)", err)
		}
	}
	if _, err := Chain(next, Check(infos, nil, func(string) bool { return true })).Run(context.Background(), inputs); err != nil {
		t.Fatalf("every input allows NaN: %v", err)
	}
}
