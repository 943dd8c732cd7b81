package native

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

func seqInfo(name string) onnx.ValueInfo {
	elem := onnx.Type{Kind: onnx.KindTensor, DType: tensor.Float32}
	return onnx.ValueInfo{Name: name, Type: onnx.Type{Kind: onnx.KindSequence, Elem: &elem}}
}

func tensorValue(t *tensor.Tensor) *onnx.Value { return &onnx.Value{Kind: onnx.KindTensor, Tensor: t} }

func runValues(t *testing.T, s engine.Session, in map[string]*onnx.Value) (map[string]*onnx.Value, error) {
	t.Helper()
	return s.(*session).RunValues(context.Background(), in)
}

func TestSequenceValues(t *testing.T) {
	// seq = [x, y]; z = seq[1]; outputs z (tensor) and seq (sequence).
	m := model(13, []*onnx.Node{
		node("SequenceConstruct", []string{"x", "y"}, []string{"seq"}),
		node("SequenceAt", []string{"seq", "one"}, []string{"z"}),
	}, []onnx.ValueInfo{input("x", tensor.Float32, -1), input("y", tensor.Float32, -1)}, []string{"z"},
		map[string]*tensor.Tensor{"one": tensor.Scalar(int64(1))})
	m.Graph.Outputs = append(m.Graph.Outputs, seqInfo("seq"))
	s := mustSession(t, m, 1)
	if outs := s.Outputs(); len(outs) != 1 || outs[0].Name != "z" {
		t.Errorf("Outputs() = %+v, want only the tensor output z", outs)
	}
	x, y := f32([]int{2}, 1, 2), f32([]int{3}, 3, 4, 5)
	out := mustRun(t, s, feeds("x", x, "y", y))
	assertClose(t, out["z"], y)
	if _, ok := out["seq"]; ok || len(out) != 1 {
		t.Errorf("Run returned %v, want only z", out)
	}
	vals, err := runValues(t, s, map[string]*onnx.Value{"x": tensorValue(x), "y": tensorValue(y)})
	if err != nil {
		t.Fatal(err)
	}
	seq := vals["seq"]
	if seq == nil || seq.Kind != onnx.KindSequence || len(seq.Elems) != 2 {
		t.Fatalf("seq = %+v", seq)
	}
	assertClose(t, seq.Elems[0].Tensor, x)
	assertClose(t, seq.Elems[1].Tensor, y)
	assertClose(t, vals["z"].Tensor, y)
}

func TestSequenceInputs(t *testing.T) {
	// n = SequenceLength(s); the input is a sequence.
	m := model(13, []*onnx.Node{node("SequenceLength", []string{"s"}, []string{"n"})}, []onnx.ValueInfo{seqInfo("s")}, []string{"n"}, nil)
	s := mustSession(t, m, 1)
	if _, err := s.Run(context.Background(), map[string]*tensor.Tensor{}); err == nil || !strings.Contains(err.Error(), "RunValues") || !errors.Is(err, engine.ErrInvalidInput) {
		t.Errorf("Run of a model with a sequence input: %v", err)
	}
	three := &onnx.Value{Kind: onnx.KindSequence, Elems: []*onnx.Value{tensorValue(f32([]int{1}, 1)), tensorValue(f32([]int{1}, 2)), tensorValue(f32([]int{1}, 3))}}
	out, err := runValues(t, s, map[string]*onnx.Value{"s": three})
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, out["n"].Tensor, i64([]int{}, 3))
	bad := []struct {
		name string
		in   map[string]*onnx.Value
		want string
	}{
		{"missing", map[string]*onnx.Value{}, `missing input "s"`},
		{"wrong kind", map[string]*onnx.Value{"s": tensorValue(f32([]int{1}, 1))}, "is a tensor, model expects a sequence"},
		{"extra", map[string]*onnx.Value{"s": three, "t": three}, "got 2 inputs"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runValues(t, s, tc.in)
			if err == nil || !errors.Is(err, engine.ErrInvalidInput) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrInvalidInput mentioning %q", err, tc.want)
			}
		})
	}
}

func graphAttr(name string, g *onnx.Graph) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrGraph, Graph: g}
}

func TestIfAndLoop(t *testing.T) {
	// If(c): then x + k (k from the enclosing graph), else -x.
	then := &onnx.Graph{Name: "then", Nodes: []*onnx.Node{node("Add", []string{"x", "k"}, []string{"t"})}, Outputs: []onnx.ValueInfo{output("t")}}
	els := &onnx.Graph{Name: "else", Nodes: []*onnx.Node{node("Neg", []string{"x"}, []string{"e"})}, Outputs: []onnx.ValueInfo{output("e")}}
	m := model(13, []*onnx.Node{node("If", []string{"c"}, []string{"y"}, graphAttr("then_branch", then), graphAttr("else_branch", els))},
		[]onnx.ValueInfo{input("c", tensor.Bool), input("x", tensor.Float32, -1)}, []string{"y"},
		map[string]*tensor.Tensor{"k": f32([]int{1}, 10)})
	s := mustSession(t, m, 1)
	x := f32([]int{2}, 1, 2)
	assertClose(t, mustRun(t, s, feeds("c", tensor.Scalar(true), "x", x))["y"], f32([]int{2}, 11, 12))
	assertClose(t, mustRun(t, s, feeds("c", tensor.Scalar(false), "x", x))["y"], f32([]int{2}, -1, -2))

	// Loop M times: acc += x; scan output acc at each step.
	body := accumulateLoopBody()
	m = model(13, []*onnx.Node{node("Loop", []string{"M", "", "a0"}, []string{"sum", "steps"}, graphAttr("body", body))},
		[]onnx.ValueInfo{input("M", tensor.Int64), input("a0", tensor.Float32, -1), input("x", tensor.Float32, -1)}, []string{"sum", "steps"}, nil)
	s = mustSession(t, m, 1)
	out := mustRun(t, s, feeds("M", tensor.Scalar(int64(3)), "a0", f32([]int{2}, 0, 0), "x", x))
	assertClose(t, out["sum"], f32([]int{2}, 3, 6))
	assertClose(t, out["steps"], f32([]int{3, 2}, 1, 2, 2, 4, 3, 6))
	out = mustRun(t, s, feeds("M", tensor.Scalar(int64(0)), "a0", f32([]int{2}, 5, 5), "x", x))
	assertClose(t, out["sum"], f32([]int{2}, 5, 5))
	if out["steps"].Len() != 0 {
		t.Errorf("zero iterations produced scan output %v", out["steps"])
	}
}

func TestFloat16Kernels(t *testing.T) {
	// Operators without float16 kernels run on float32 copies.
	half := func(v ...float32) *tensor.Tensor {
		bits := make([]uint16, len(v))
		floatsToHalfs(bits, v)
		h, _ := tensor.FromFloat16Bits(bits, len(v))
		return h
	}
	m := opModel(13, node("Relu", []string{"x"}, []string{"y"}), feeds("x", half(-1, 2.5)), nil)
	m.Graph.Outputs[0].Type.DType = tensor.Float16
	out := mustRun(t, mustSession(t, m, 1), feeds("x", half(-1, 2.5)))
	y := out["y"]
	if y.DType() != tensor.Float16 {
		t.Fatalf("output %v, want FP16", y)
	}
	if got := halfsToFloats(tensor.Data[uint16](y)); got[0] != 0 || got[1] != 2.5 {
		t.Errorf("Relu of float16 = %v", got)
	}
}

func TestZipMap(t *testing.T) {
	zip := node("ZipMap", []string{"p"}, []string{"maps"}, &onnx.Attribute{Name: "classlabels_strings", Type: onnx.AttrStrings, Strings: []string{"a", "b"}})
	zip.Domain = "ai.onnx.ml"
	m := model(13, []*onnx.Node{zip}, []onnx.ValueInfo{input("p", tensor.Float32, -1, 2)}, nil, nil)
	m.Opsets["ai.onnx.ml"] = 1
	m.Graph.Outputs = []onnx.ValueInfo{{Name: "maps", Type: onnx.Type{Kind: onnx.KindSequence}}}
	s := mustSession(t, m, 1)
	if outs := s.Outputs(); len(outs) != 1 || outs[0].DType != tensor.Float32 || !equalInts(outs[0].Shape, []int{-1, 2}) {
		t.Errorf("Outputs() = %+v, want the dense FP32 [-1 2] form", outs)
	}
	p := f32([]int{2, 2}, 0.25, 0.75, 1, 0)
	assertClose(t, mustRun(t, s, feeds("p", p))["maps"], p)
	vals, err := runValues(t, s, map[string]*onnx.Value{"p": tensorValue(p)})
	if err != nil {
		t.Fatal(err)
	}
	seq := vals["maps"]
	if len(seq.Elems) != 2 || tensor.Data[string](seq.Elems[0].Keys)[1] != "b" || tensor.Data[float32](seq.Elems[0].Elems[1].Tensor)[0] != 0.75 {
		t.Fatalf("maps = %+v", seq)
	}
	// Another node reading the ZipMap output is refused at load.
	m.Graph.Nodes = append(m.Graph.Nodes, node("Identity", []string{"maps"}, []string{"again"}))
	m.Graph.Outputs = []onnx.ValueInfo{output("again")}
	if _, err := NewSession(context.Background(), m, engine.Options{}); err == nil || !strings.Contains(err.Error(), "reading the output of ZipMap") {
		t.Errorf("load error = %v", err)
	}
}
