package runner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// rowsRecorder doubles its input "x" into output "y" and records the rows
// of every call; with fixedRows > 0 it answers that many rows whatever it
// is given (a model whose output does not follow the input's rows).
type rowsRecorder struct {
	mu        sync.Mutex
	calls     []int
	fixedRows int
}

func (r *rowsRecorder) runner() Runner {
	vec := []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 2}}}
	out := []engine.TensorInfo{{Name: "y", DType: tensor.Float32, Shape: []int{-1, 2}}}
	return &Func{In: vec, Out: out, Fn: func(_ context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		x := in["x"]
		r.mu.Lock()
		r.calls = append(r.calls, x.Shape()[0])
		r.mu.Unlock()
		rows := x.Shape()[0]
		if r.fixedRows > 0 {
			rows = r.fixedRows
		}
		y := make([]float32, rows*2)
		for i := range min(len(y), len(tensor.Data[float32](x))) {
			y[i] = 2 * tensor.Data[float32](x)[i]
		}
		return map[string]*tensor.Tensor{"y": tensor.MustFromSlice(y, rows, 2)}, nil
	}}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name      string
		maxRows   int
		rows      int
		wantCalls []int
	}{
		{"under the bound runs whole", 4, 3, []int{3}},
		{"at the bound runs whole", 4, 4, []int{4}},
		{"over the bound runs in slices", 4, 10, []int{4, 4, 2}},
		{"one row at a time", 1, 3, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &rowsRecorder{}
			r := Chain(rec.runner(), Split(tt.maxRows, rec.runner().Inputs(), rec.runner().Outputs()))
			x := make([]float32, tt.rows*2)
			for i := range x {
				x[i] = float32(i)
			}
			out, err := r.Run(context.Background(), map[string]*tensor.Tensor{"x": tensor.MustFromSlice(x, tt.rows, 2)})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rec.calls, tt.wantCalls) {
				t.Errorf("runs of %v rows, want %v", rec.calls, tt.wantCalls)
			}
			y := out["y"]
			if !slices.Equal(y.Shape(), []int{tt.rows, 2}) {
				t.Fatalf("output shape %v, want [%d 2]", y.Shape(), tt.rows)
			}
			for i, v := range tensor.Data[float32](y) {
				if v != 2*x[i] {
					t.Fatalf("y[%d] = %v, want %v: the slices were joined out of order", i, v, 2*x[i])
				}
			}
		})
	}
}

func TestSplitRefuses(t *testing.T) {
	vec := []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 2}}}
	fixed := []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{4, 2}}}
	for _, tt := range []struct {
		name            string
		maxRows         int
		inputs, outputs []engine.TensorInfo
	}{
		{"no bound", 0, vec, vec},
		{"fixed first dimension in", 2, fixed, vec},
		{"fixed first dimension out", 2, vec, fixed},
		{"scalar output", 2, vec, []engine.TensorInfo{{Name: "s", DType: tensor.Float32, Shape: []int{}}}},
	} {
		if Split(tt.maxRows, tt.inputs, tt.outputs) != nil {
			t.Errorf("%s: Split wraps a model whose rows may not be run apart", tt.name)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("output rows that do not follow the input", func(t *testing.T) {
		rec := &rowsRecorder{fixedRows: 1}
		r := Chain(rec.runner(), Split(2, rec.runner().Inputs(), rec.runner().Outputs()))
		_, err := r.Run(ctx, map[string]*tensor.Tensor{"x": tensor.New(tensor.Float32, 5, 2)})
		if err == nil || !strings.Contains(err.Error(), "max_run_rows: -1") {
			t.Fatalf("err = %v, want one naming max_run_rows", err)
		}
	})
	t.Run("inputs of different rows", func(t *testing.T) {
		two := []engine.TensorInfo{{Name: "a", DType: tensor.Float32, Shape: []int{-1}}, {Name: "b", DType: tensor.Float32, Shape: []int{-1}}}
		next := &Func{In: two, Out: two[:1], Fn: func(context.Context, map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
			t.Fatal("ran inputs of different rows")
			return nil, nil
		}}
		r := Chain(next, Split(2, two, two[:1]))
		_, err := r.Run(ctx, map[string]*tensor.Tensor{"a": tensor.New(tensor.Float32, 5), "b": tensor.New(tensor.Float32, 3)})
		if !errors.Is(err, engine.ErrInvalidInput) {
			t.Fatalf("err = %v, want ErrInvalidInput", err)
		}
	})
	t.Run("inputs of different rows, some under the bound", func(t *testing.T) {
		// Whichever input a map iteration gives first, the request is
		// refused, naming the same input: the batch is the most rows.
		var four []engine.TensorInfo
		in := map[string]*tensor.Tensor{}
		for i, name := range []string{"d", "b", "c", "a"} {
			four = append(four, engine.TensorInfo{Name: name, DType: tensor.Float32, Shape: []int{-1}})
			in[name] = tensor.New(tensor.Float32, 1+4*(i%2))
		}
		next := &Func{In: four, Out: four[:1], Fn: func(context.Context, map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
			t.Fatal("ran inputs of different rows")
			return nil, nil
		}}
		r := Chain(next, Split(2, four, four[:1]))
		for range 20 {
			_, err := r.Run(ctx, in)
			if !errors.Is(err, engine.ErrInvalidInput) || !strings.Contains(err.Error(), `input "c" has shape [1]`) {
				t.Fatalf("err = %v, want ErrInvalidInput naming input \"c\"", err)
			}
		}
	})
	t.Run("cancelled between slices", func(t *testing.T) {
		rec := &rowsRecorder{}
		ctx, cancel := context.WithCancel(ctx)
		next := rec.runner().(*Func)
		fn := next.Fn
		next.Fn = func(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
			cancel()
			return fn(ctx, in)
		}
		r := Chain(next, Split(2, next.In, next.Out))
		if _, err := r.Run(ctx, map[string]*tensor.Tensor{"x": tensor.New(tensor.Float32, 6, 2)}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if len(rec.calls) != 1 {
			t.Fatalf("%d slices ran after the request was cancelled, want 1", len(rec.calls))
		}
	})
}
