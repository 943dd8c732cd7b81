package native_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// valueRunner is the optional capability of native sessions to run with
// values that are not tensors.
type valueRunner interface {
	RunValues(ctx context.Context, inputs map[string]*onnx.Value) (map[string]*onnx.Value, error)
}

// TestSklearnModels runs the scikit-learn models converted to ONNX-ML by
// examples/sklearn/convert.py and compares labels (exactly) and
// probabilities (within 1e-4) with scikit-learn's, through Run (the dense
// ZipMap form) and RunValues (the sequence of maps).
func TestSklearnModels(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "sklearn")
	raw, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		t.Fatalf("examples/sklearn/reference.json: %v (regenerate with examples/sklearn/generate.py)", err)
	}
	var ref struct {
		Models map[string]struct {
			File          string      `json:"file"`
			Classes       []any       `json:"classes"`
			Input         [][]float32 `json:"input"`
			Labels        []any       `json:"labels"`
			Probabilities [][]float64 `json:"probabilities"`
		} `json:"models"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Models) < 4 {
		t.Fatalf("reference.json lists %d models", len(ref.Models))
	}
	for name, m := range ref.Models {
		t.Run(name, func(t *testing.T) {
			s, err := engine.LoadPath(context.Background(), native.Engine{}, filepath.Join(dir, m.File), engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			n, f := len(m.Input), len(m.Input[0])
			flat := make([]float32, 0, n*f)
			for _, row := range m.Input {
				flat = append(flat, row...)
			}
			x := tensor.MustFromSlice(flat, n, f)
			out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"input": x})
			if err != nil {
				t.Fatal(err)
			}
			checkLabels(t, out["label"], m.Labels)
			probs := out["probabilities"]
			if probs == nil || probs.DType() != tensor.Float32 || !equalShape(probs.Shape(), []int{n, len(m.Classes)}) {
				t.Fatalf("probabilities = %v, want FP32 [%d %d]", probs, n, len(m.Classes))
			}
			pd := tensor.Data[float32](probs)
			for i, row := range m.Probabilities {
				for j, want := range row {
					if got := float64(pd[i*len(row)+j]); math.Abs(got-want) > 1e-4 {
						t.Fatalf("row %d class %v: probability %v, scikit-learn %v", i, m.Classes[j], got, want)
					}
				}
			}
			// The same through RunValues: a sequence of maps keyed by label.
			vs, ok := s.(valueRunner)
			if !ok {
				t.Fatal("native sessions do not implement RunValues")
			}
			vals, err := vs.RunValues(context.Background(), map[string]*onnx.Value{"input": {Kind: onnx.KindTensor, Tensor: x}})
			if err != nil {
				t.Fatal(err)
			}
			seq := vals["probabilities"]
			if seq == nil || seq.Kind != onnx.KindSequence || len(seq.Elems) != n {
				t.Fatalf("RunValues probabilities = %+v, want a sequence of %d maps", seq, n)
			}
			for i, mp := range seq.Elems {
				if mp.Kind != onnx.KindMap || mp.Keys.Len() != len(m.Classes) {
					t.Fatalf("element %d is not a map of %d classes", i, len(m.Classes))
				}
				for j := range m.Classes {
					key := fmt.Sprint(keyAt(mp.Keys, j))
					if key != fmt.Sprint(m.Classes[j]) {
						t.Fatalf("map key %d = %s, want %v", j, key, m.Classes[j])
					}
					got := float64(tensor.Data[float32](mp.Elems[j].Tensor)[0])
					if math.Abs(got-m.Probabilities[i][j]) > 1e-4 {
						t.Fatalf("row %d class %s: %v, scikit-learn %v", i, key, got, m.Probabilities[i][j])
					}
				}
			}
		})
	}
}

func checkLabels(t *testing.T, got *tensor.Tensor, want []any) {
	t.Helper()
	if got == nil || got.Len() != len(want) {
		t.Fatalf("labels = %v, want %d", got, len(want))
	}
	for i, w := range want {
		g := keyAt(got, i)
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Fatalf("row %d: label %v, scikit-learn %v", i, g, w)
		}
	}
}

func keyAt(t *tensor.Tensor, i int) any {
	switch d := t.Data().(type) {
	case []string:
		return d[i]
	case []int64:
		return d[i]
	}
	return nil
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
