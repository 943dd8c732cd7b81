package onnx

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/inferd/inferd/tensor"
)

// The models in testdata/ come from testdata/gen.py (onnx.helper 1.12).

func TestLoadTiny(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if m.IRVersion != 8 || m.ProducerName != "inferd-gen" || m.ProducerVersion != "1" || m.ModelVersion != 7 {
		t.Errorf("model header = %d %q %q %d", m.IRVersion, m.ProducerName, m.ProducerVersion, m.ModelVersion)
	}
	if want := map[string]int64{"": 13}; !reflect.DeepEqual(m.Opsets, want) {
		t.Errorf("opsets = %v, want %v", m.Opsets, want)
	}
	if m.Opset("ai.onnx") != 13 {
		t.Errorf("Opset(ai.onnx) = %d", m.Opset("ai.onnx"))
	}
	if want := map[string]string{"author": "inferd", "license": "Apache-2.0"}; !reflect.DeepEqual(m.Metadata, want) {
		t.Errorf("metadata = %v", m.Metadata)
	}
	g := m.Graph
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "X" || g.Inputs[0].Type.String() != "tensor(FP32)[N,4]" {
		t.Errorf("inputs = %+v", g.Inputs)
	}
	if len(g.OverridableInputs) != 1 || g.OverridableInputs[0].Name != "scale" || g.OverridableInputs[0].Type.String() != "tensor(FP32)[]" {
		t.Errorf("overridable inputs = %+v", g.OverridableInputs)
	}
	if got := g.Inputs[0].Type.IntShape(); !reflect.DeepEqual(got, []int{-1, 4}) {
		t.Errorf("X IntShape = %v", got)
	}
	if len(g.Outputs) != 1 || g.Outputs[0].Type.String() != "tensor(FP32)[N,3]" {
		t.Errorf("outputs = %+v", g.Outputs)
	}
	if len(g.ValueInfo) != 1 || g.ValueInfo[0].Name != "xw" {
		t.Errorf("value_info = %+v", g.ValueInfo)
	}
	var ops []string
	for _, n := range g.Nodes {
		ops = append(ops, n.OpType)
	}
	if want := []string{"MatMul", "Add", "Mul", "Relu"}; !reflect.DeepEqual(ops, want) {
		t.Errorf("ops = %v, want %v", ops, want)
	}
	w := g.Initializers["W"]
	if w == nil || !reflect.DeepEqual(w.Shape(), []int{4, 3}) || tensor.Data[float32](w)[11] != float32(11)/10 {
		t.Errorf("W = %v %v", w, w.Data())
	}
	if s := g.Initializers["scale"]; s == nil || s.Rank() != 0 || tensor.Data[float32](s)[0] != 2 {
		t.Errorf("scale = %v", s)
	}
}

// TestLoadDTypes checks every initializer of dtypes.onnx against the values
// numpy_helper decoded when gen.py wrote dtypes.json.
func TestLoadDTypes(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "dtypes.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	golden := readGolden(t, filepath.Join("testdata", "dtypes.json"))
	if len(golden) != len(m.Graph.Initializers) {
		t.Errorf("%d golden tensors, %d initializers", len(golden), len(m.Graph.Initializers))
	}
	for name, want := range golden {
		t.Run(name, func(t *testing.T) {
			got := m.Graph.Initializers[name]
			if got == nil {
				t.Fatal("missing")
			}
			if !reflect.DeepEqual(got.Shape(), want.Dims) {
				t.Fatalf("shape %v, want %v", got.Shape(), want.Dims)
			}
			if g, w := asStrings(t, got), numbers(want.Values); !reflect.DeepEqual(g, w) {
				t.Errorf("%v: got %v, want %v", got.DType(), g, w)
			}
		})
	}
}

type goldenTensor struct {
	Dims   []int
	Values []any // json.Number, bool or string
}

func readGolden(t *testing.T, path string) map[string]goldenTensor {
	t.Helper()
	data := readFile(t, path)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out map[string]goldenTensor
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// numbers renders golden values canonically: numbers through float64 or
// integer parsing as their text demands.
func numbers(vals []any) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		switch v := v.(type) {
		case json.Number:
			if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				out[i] = string(v)
			} else if _, err := strconv.ParseUint(string(v), 10, 64); err == nil {
				out[i] = string(v)
			} else {
				f, _ := strconv.ParseFloat(string(v), 64)
				out[i] = strconv.FormatFloat(f, 'g', -1, 64)
			}
		case bool:
			out[i] = strconv.FormatBool(v)
		case string:
			out[i] = strconv.Quote(v)
		}
	}
	return out
}

// asStrings renders a tensor's elements the way numbers renders golden
// values (float16 as its bits, floats widened to float64).
func asStrings(t *testing.T, x *tensor.Tensor) []string {
	t.Helper()
	rv := reflect.ValueOf(x.Data())
	out := make([]string, rv.Len())
	for i := range out {
		switch e := rv.Index(i).Interface().(type) {
		case float32:
			out[i] = strconv.FormatFloat(float64(e), 'g', -1, 64)
		case float64:
			out[i] = strconv.FormatFloat(e, 'g', -1, 64)
		case bool:
			out[i] = strconv.FormatBool(e)
		case string:
			out[i] = strconv.Quote(e)
		default:
			if v := rv.Index(i); v.CanInt() {
				out[i] = strconv.FormatInt(v.Int(), 10)
			} else {
				out[i] = strconv.FormatUint(v.Uint(), 10)
			}
		}
	}
	return out
}

func TestLoadControlFlow(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "control.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Opset("ai.onnx.ml") != 3 || m.Opset("") != 16 {
		t.Errorf("opsets = %v", m.Opsets)
	}
	g := m.Graph
	nodes := map[string]*Node{}
	for _, n := range g.Nodes {
		nodes[n.Name] = n
	}
	ifNode := nodes["if"]
	then := ifNode.Attrs["then_branch"]
	if then == nil || then.Type != AttrGraph || then.Graph.Name != "then" || then.Graph.Nodes[0].OpType != "Add" {
		t.Fatalf("then_branch = %+v", then)
	}
	if ifNode.Attrs["else_branch"].Graph.Nodes[0].OpType != "Neg" {
		t.Errorf("else_branch = %+v", ifNode.Attrs["else_branch"].Graph)
	}
	body := nodes["loop"].Attrs["body"].Graph
	if len(body.Inputs) != 3 || body.Inputs[0].Type.String() != "tensor(INT64)[]" || len(body.Outputs) != 2 {
		t.Errorf("loop body inputs %+v outputs %+v", body.Inputs, body.Outputs)
	}
	if got := nodes["loop"].Inputs; !reflect.DeepEqual(got, []string{"M", "", "if_out"}) {
		t.Errorf("loop inputs = %q", got)
	}
	bias := g.Initializers["bias"]
	if bias == nil || !reflect.DeepEqual(tensor.Data[float32](bias), []float32{1, 0, 2}) {
		t.Errorf("densified sparse initializer bias = %v", bias)
	}
	sv := nodes["const"].Attrs["sparse_value"]
	if sv == nil || sv.Type != AttrSparseTensor || !reflect.DeepEqual(tensor.Data[int64](sv.Tensor), []int64{0, 5, 7, 0}) {
		t.Errorf("sparse_value = %+v", sv)
	}
	typ := nodes["opt"].Attrs["type"]
	if typ == nil || typ.Type != AttrTypeProto || typ.TypeProto.String() != "tensor(FP32)[3]" {
		t.Errorf("Optional type attribute = %+v", typ)
	}
	want := map[string]string{
		"empty":          "optional(tensor(FP32)[3])",
		"unused_seq_map": "seq(map(INT64,tensor(FP32)[]))",
	}
	for _, v := range g.ValueInfo {
		if v.Type.String() != want[v.Name] {
			t.Errorf("value_info %s = %v, want %v", v.Name, v.Type, want[v.Name])
		}
	}
}

func TestLoadExternal(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "external.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Graph.Initializers["W"]; !reflect.DeepEqual(tensor.Data[float32](w), []float32{0, 1, 2, 3, 4, 5}) {
		t.Errorf("W = %v", w.Data())
	}
	if b := m.Graph.Initializers["B"]; !reflect.DeepEqual(tensor.Data[int64](b), []int64{1, 2, 3}) {
		t.Errorf("B = %v", b.Data())
	}
	_, err = Decode(readFile(t, filepath.Join("testdata", "external.onnx")))
	checkInvalid(t, err, `tensor "W"`, "WithBaseDir")
}
