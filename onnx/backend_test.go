package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
	"google.golang.org/protobuf/proto"
)

// backendTestData is where Debian's libonnx-testdata package installs the
// ONNX backend test suite (models and their input/output tensors).
const backendTestData = "/usr/share/libonnx-testdata/data"

// TestBackendTestData decodes every model of the ONNX backend test suite and
// every input_*.pb / output_*.pb next to it, using the declared type of the
// matching graph input or output to pick the value decoder.
func TestBackendTestData(t *testing.T) {
	if _, err := os.Stat(backendTestData); err != nil {
		t.Skipf("ONNX backend test data not installed (%v); apt-get install libonnx-testdata", err)
	}
	models, err := filepath.Glob(filepath.Join(backendTestData, "*", "*", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(models) == 0 {
		t.Skipf("no models under %s", backendTestData)
	}
	var values int
	for _, path := range models {
		dir := filepath.Dir(path)
		name, _ := filepath.Rel(backendTestData, dir)
		t.Run(name, func(t *testing.T) {
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if m.Graph == nil || len(m.Graph.Outputs) == 0 {
				t.Fatalf("decoded graph has no outputs")
			}
			ins, outs := declaredTypes(t, path)
			sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
			for _, set := range sets {
				values += checkValues(t, set, "input", ins)
				values += checkValues(t, set, "output", outs)
			}
		})
	}
	t.Logf("decoded %d models and %d values", len(models), values)
}

// declaredTypes returns the types of the model's graph inputs (all of
// them, including those with initializers, as the test suite numbers them)
// and outputs.
func declaredTypes(t *testing.T, path string) (ins, outs []Type) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	conv := func(vps []*onnxpb.ValueInfoProto) []Type {
		out := make([]Type, len(vps))
		for i, vp := range vps {
			vi, err := valueInfo(vp)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = vi.Type
		}
		return out
	}
	return conv(mp.GetGraph().GetInput()), conv(mp.GetGraph().GetOutput())
}

func checkValues(t *testing.T, set, prefix string, types []Type) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(set, prefix+"_*.pb"))
	for _, f := range files {
		var i int
		if _, err := fmt.Sscanf(strings.TrimPrefix(filepath.Base(f), prefix+"_"), "%d.pb", &i); err != nil || i >= len(types) {
			t.Fatalf("%s: no declared %s #%d", f, prefix, i)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := DecodeValue(data, types[i])
		if err != nil {
			t.Fatalf("%s (%v): %v", f, types[i], err)
		}
		if v.Kind != types[i].Kind && types[i].Kind != KindSparseTensor {
			t.Fatalf("%s: decoded a %v value for a %v", f, v.Kind, types[i])
		}
		// The suite's CastLike tests feed a [1] "like" tensor to an input
		// declared [3,4]; only its element type matters to the operator.
		quirk := strings.Contains(set, "test_castlike_") && prefix == "input" && i == 1
		if err := matchType(v, types[i]); err != nil && !quirk {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return len(files)
}

// matchType checks a decoded tensor against its declared type: same element
// type and every fixed dimension equal.
func matchType(v *Value, typ Type) error {
	if v.Kind != KindTensor || typ.Kind != KindTensor {
		return nil
	}
	if typ.DType == tensor.Float32 && v.Tensor.DType() == tensor.Uint16 {
		// The suite stores bfloat16 values (declared BFLOAT16, which
		// decodes as FP32) as UINT16 tensors, numpy having no bfloat16.
		return nil
	}
	if typ.DType != tensor.Invalid && v.Tensor.DType() != typ.DType {
		return fmt.Errorf("decoded %v, declared %v", v.Tensor, typ)
	}
	if !typ.HasRank {
		return nil
	}
	if v.Tensor.Rank() != len(typ.Shape) {
		return fmt.Errorf("decoded %v, declared %v", v.Tensor, typ)
	}
	for i, d := range typ.Shape {
		if d.Value >= 0 && int(d.Value) != v.Tensor.Shape()[i] {
			return fmt.Errorf("decoded %v, declared %v", v.Tensor, typ)
		}
	}
	return nil
}
