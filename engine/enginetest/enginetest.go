package enginetest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// cnnCase is the model used for the input validation and concurrency
// checks: input "input" FP32 [batch, 1, 8, 8], output "logits" [batch, 10].
const cnnCase = "model_cnn"

// Run runs the conformance suite against e.
func Run(t *testing.T, e engine.Engine) {
	t.Helper()
	cases, err := Cases()
	if err != nil {
		t.Fatalf("reading conformance cases: %v", err)
	}
	dir := t.TempDir()
	t.Run("models", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.Name, func(t *testing.T) { checkCase(t, e, dir, c) })
		}
	})
	var cnn Case
	for _, c := range cases {
		if c.Name == cnnCase {
			cnn = c
		}
	}
	if cnn.Model == nil {
		t.Fatalf("conformance case %s is missing", cnnCase)
	}
	path, err := cnn.WriteModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("metadata", func(t *testing.T) { checkMetadata(t, e, path) })
	t.Run("invalid_inputs", func(t *testing.T) { checkInvalidInputs(t, e, path) })
	t.Run("concurrent_runs", func(t *testing.T) { checkConcurrent(t, e, path) })
	t.Run("missing_file", func(t *testing.T) {
		missing := filepath.Join(dir, "does-not-exist.onnx")
		_, err := engine.LoadPath(context.Background(), e, missing, engine.Options{})
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Fatalf("LoadPath of a missing file: %v, want an error naming it", err)
		}
	})
	t.Run("invalid_bytes", func(t *testing.T) {
		m := engine.ModelFile{Name: "bucket/garbage.onnx", Data: []byte("not a model")}
		s, err := e.Load(context.Background(), m, engine.Options{})
		if err == nil {
			s.Close()
			t.Fatal("Load of bytes that are not a model succeeded")
		}
		if !strings.Contains(err.Error(), m.Name) {
			t.Errorf("Load error %q does not name the model %q", err, m.Name)
		}
	})
}

func load(t *testing.T, e engine.Engine, path string) engine.Session {
	t.Helper()
	s, err := engine.LoadPath(context.Background(), e, path, engine.Options{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func checkCase(t *testing.T, e engine.Engine, dir string, c Case) {
	path, err := c.WriteModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.LoadError != nil {
		s, err := engine.LoadPath(context.Background(), e, path, engine.Options{})
		if err == nil {
			s.Close()
			t.Fatalf("Load succeeded, want an error mentioning %q", c.LoadError)
		}
		for _, want := range c.LoadError {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Load error %q does not mention %q", err, want)
			}
		}
		return
	}
	s := load(t, e, path)
	got, err := s.Run(context.Background(), c.Inputs)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(got) != len(c.Outputs) {
		t.Errorf("Run returned %d outputs, want %d", len(got), len(c.Outputs))
	}
	for name, want := range c.Outputs {
		if err := Compare(got[name], want); err != nil {
			t.Errorf("output %q: %v", name, err)
		}
	}
	for i, er := range c.Errors {
		_, err := s.Run(context.Background(), er.Inputs)
		switch {
		case err == nil:
			t.Errorf("error run %d: Run succeeded, want an error mentioning %q", i, er.Contains)
		case !errors.Is(err, engine.ErrInvalidInput):
			t.Errorf("error run %d: error %q does not wrap ErrInvalidInput", i, err)
		case !strings.Contains(err.Error(), er.Contains):
			t.Errorf("error run %d: error %q does not mention %q", i, err, er.Contains)
		}
	}
}

func checkMetadata(t *testing.T, e engine.Engine, path string) {
	s := load(t, e, path)
	in, out := s.Inputs(), s.Outputs()
	wantIn := engine.TensorInfo{Name: "input", DType: tensor.Float32, Shape: []int{-1, 1, 8, 8}}
	if len(in) != 1 || in[0].Name != wantIn.Name || in[0].DType != wantIn.DType || !slices.Equal(in[0].Shape, wantIn.Shape) {
		t.Errorf("Inputs() = %+v, want [%+v]", in, wantIn)
	}
	if len(out) != 1 || out[0].Name != "logits" || out[0].DType != tensor.Float32 {
		t.Errorf("Outputs() = %+v, want one FP32 output \"logits\"", out)
	}
}

func checkInvalidInputs(t *testing.T, e engine.Engine, path string) {
	s := load(t, e, path)
	good := tensor.New(tensor.Float32, 2, 1, 8, 8)
	tests := []struct {
		name   string
		inputs map[string]*tensor.Tensor
	}{
		{"missing input", map[string]*tensor.Tensor{}},
		{"nil tensor", map[string]*tensor.Tensor{"input": nil}},
		{"wrong dtype", map[string]*tensor.Tensor{"input": tensor.New(tensor.Int64, 2, 1, 8, 8)}},
		{"wrong rank", map[string]*tensor.Tensor{"input": tensor.New(tensor.Float32, 2, 64)}},
		{"wrong fixed dim", map[string]*tensor.Tensor{"input": tensor.New(tensor.Float32, 2, 3, 8, 8)}},
		{"unknown name", map[string]*tensor.Tensor{"input": good, "extra": good}},
	}
	// Shapes that fit the declared inputs but not an operator deeper in
	// the graph are the "errors" runs of the model cases.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Run(context.Background(), tc.inputs)
			if !errors.Is(err, engine.ErrInvalidInput) {
				t.Fatalf("Run error = %v, want one wrapping ErrInvalidInput", err)
			}
		})
	}
}

// checkConcurrent runs several batch sizes from several goroutines at once
// and requires results bit-identical to serial runs.
func checkConcurrent(t *testing.T, e engine.Engine, path string) {
	s := load(t, e, path)
	const batches = 4
	inputs := make([]map[string]*tensor.Tensor, batches)
	want := make([]*tensor.Tensor, batches)
	for b := range batches {
		n := b + 1
		data := make([]float32, n*64)
		for i := range data {
			data[i] = float32((i*7+b*13)%17) / 17
		}
		inputs[b] = map[string]*tensor.Tensor{"input": tensor.MustFromSlice(data, n, 1, 8, 8)}
		out, err := s.Run(context.Background(), inputs[b])
		if err != nil {
			t.Fatalf("serial run, batch %d: %v", n, err)
		}
		want[b] = out["logits"]
	}
	const goroutines, rounds = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*rounds)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				b := (g + r) % batches
				out, err := s.Run(context.Background(), inputs[b])
				if err != nil {
					errs <- err
					return
				}
				if !Identical(out["logits"], want[b]) {
					errs <- fmt.Errorf("goroutine %d round %d: batch %d result differs from the serial run", g, r, b+1)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
