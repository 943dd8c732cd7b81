package onnx

import (
	"reflect"
	"testing"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
	"google.golang.org/protobuf/proto"
)

func opTypes(nodes []*Node) []string {
	var ops []string
	for _, n := range nodes {
		ops = append(ops, n.OpType)
	}
	return ops
}

func TestDecodeValidModels(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m *onnxpb.ModelProto)
		check  func(t *testing.T, m *Model)
	}{
		{"nodes out of order are sorted", func(m *onnxpb.ModelProto) {
			m.Graph.Node = []*onnxpb.NodeProto{
				nodeProto("Relu", []string{"b"}, []string{"Y"}),
				nodeProto("Sigmoid", []string{"X"}, []string{"c"}),
				nodeProto("Neg", []string{"a"}, []string{"b"}),
				nodeProto("Abs", []string{"X"}, []string{"a"}),
			}
		}, func(t *testing.T, m *Model) {
			if got, want := opTypes(m.Graph.Nodes), []string{"Sigmoid", "Abs", "Neg", "Relu"}; !reflect.DeepEqual(got, want) {
				t.Errorf("order %v, want %v", got, want)
			}
		}},
		{"subgraph reading a value produced later moves after its producer", func(m *onnxpb.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, vi("cond", tBool))
			m.Graph.Node = []*onnxpb.NodeProto{
				ifNode("if", branch("then", "late", "t"), "Y"),
				nodeProto("Abs", []string{"X"}, []string{"late"}),
			}
		}, func(t *testing.T, m *Model) {
			if got, want := opTypes(m.Graph.Nodes), []string{"Abs", "If"}; !reflect.DeepEqual(got, want) {
				t.Errorf("order %v, want %v", got, want)
			}
		}},
		{"nested subgraph reads values two levels up", func(m *onnxpb.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, vi("cond", tBool))
			inner := ifNode("inner", branch("leaf", "mid", "t"), "u")
			middle := &onnxpb.GraphProto{Name: proto.String("middle"), Node: []*onnxpb.NodeProto{inner},
				Output: []*onnxpb.ValueInfoProto{vi("u", tFloat)}}
			m.Graph.Node = []*onnxpb.NodeProto{
				ifNode("outer", middle, "Y"),
				nodeProto("Abs", []string{"X"}, []string{"mid"}),
			}
		}, func(t *testing.T, m *Model) {
			if got, want := opTypes(m.Graph.Nodes), []string{"Abs", "If"}; !reflect.DeepEqual(got, want) {
				t.Errorf("order %v, want %v", got, want)
			}
			middle := m.Graph.Nodes[1].Attrs["then_branch"].Graph
			if middle.Name != "middle" || middle.Nodes[0].Attrs["else_branch"].Graph.Nodes[0].Inputs[0] != "mid" {
				t.Errorf("nested graph not decoded: %+v", middle)
			}
		}},
		{"subgraph may shadow an outer name and output an outer value", func(m *onnxpb.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, vi("cond", tBool))
			b := branch("then", "X", "Y") // Y shadows the outer graph's Y
			b.Output = append(b.Output, vi("cond", tBool))
			m.Graph.Node = append(m.Graph.Node, ifNode("if", b, "Z", "W"))
		}, nil},
		{"ai.onnx domain is normalised", func(m *onnxpb.ModelProto) {
			m.OpsetImport = []*onnxpb.OperatorSetIdProto{
				{Domain: proto.String("ai.onnx"), Version: proto.Int64(13)},
				{Domain: proto.String("ai.onnx.ml"), Version: proto.Int64(3)},
			}
			m.Graph.Node[0].Domain = proto.String("ai.onnx")
		}, func(t *testing.T, m *Model) {
			if want := map[string]int64{"": 13, "ai.onnx.ml": 3}; !reflect.DeepEqual(m.Opsets, want) {
				t.Errorf("opsets %v, want %v", m.Opsets, want)
			}
			if m.Graph.Nodes[0].Domain != "" {
				t.Errorf("node domain %q", m.Graph.Nodes[0].Domain)
			}
		}},
		{"omitted optional inputs and outputs", func(m *onnxpb.ModelProto) {
			m.Graph.Node[0] = nodeProto("Dropout", []string{"X", "", ""}, []string{"Y", ""})
			m.Graph.Node = append(m.Graph.Node, nodeProto("Dropout", []string{"X", ""}, []string{"Z", ""}))
		}, func(t *testing.T, m *Model) {
			if got := m.Graph.Nodes[0].Inputs; !reflect.DeepEqual(got, []string{"X", "", ""}) {
				t.Errorf("inputs %q", got)
			}
		}},
		{"graph output that is a graph input or an initializer", func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = []*onnxpb.TensorProto{floatTensor("W", nil, 1)}
			m.Graph.Output = append(m.Graph.Output, vi("X", tFloat), vi("W", tFloat))
		}, nil},
		{"initializer listed as input is overridable", func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = []*onnxpb.TensorProto{floatTensor("W", []int64{1}, 3)}
			m.Graph.Input = append(m.Graph.Input, vi("W", tFloat, 1))
			m.Graph.Node[0] = nodeProto("Add", []string{"X", "W"}, []string{"Y"})
		}, func(t *testing.T, m *Model) {
			g := m.Graph
			if len(g.Inputs) != 1 || g.Inputs[0].Name != "X" || len(g.OverridableInputs) != 1 || g.OverridableInputs[0].Name != "W" {
				t.Errorf("inputs %+v, overridable %+v", g.Inputs, g.OverridableInputs)
			}
		}},
		{"types and dims", func(m *onnxpb.ModelProto) {
			unknown := &onnxpb.TensorShapeProto_Dimension{}
			m.Graph.Input[0].Type.GetTensorType().Shape.Dim = append(m.Graph.Input[0].Type.GetTensorType().Shape.Dim, unknown)
			m.Graph.ValueInfo = []*onnxpb.ValueInfoProto{
				{Name: proto.String("norank"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(tInt64)}}}},
				{Name: proto.String("untyped")},
				{Name: proto.String("bf16"), Type: tensorTypeProto(int32(onnxpb.TensorProto_BFLOAT16), 2)},
				{Name: proto.String("sparse"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SparseTensorType{SparseTensorType: &onnxpb.TypeProto_SparseTensor{
					ElemType: proto.Int32(tFloat), Shape: tensorTypeProto(tFloat, 4, 5).GetTensorType().Shape}}}},
				{Name: proto.String("opaque"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_OpaqueType{OpaqueType: &onnxpb.TypeProto_Opaque{Name: proto.String("x")}}}},
				{Name: proto.String("seqmap"), Type: seqOf(&onnxpb.TypeProto{Value: &onnxpb.TypeProto_MapType{MapType: &onnxpb.TypeProto_Map{
					KeyType: proto.Int32(tString), ValueType: tensorTypeProto(tFloat)}}})},
				{Name: proto.String("opt"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_OptionalType{OptionalType: &onnxpb.TypeProto_Optional{ElemType: seqOf(tensorTypeProto(tFloat, -1))}}}},
			}
		}, func(t *testing.T, m *Model) {
			x := m.Graph.Inputs[0].Type
			if want := []Dim{{Value: -1, Param: "N"}, {Value: 3}, {Value: -1}}; !reflect.DeepEqual(x.Shape, want) || !x.HasRank {
				t.Errorf("X dims %+v, want %+v", x.Shape, want)
			}
			want := map[string]string{
				"norank": "tensor(INT64)", "untyped": "unknown", "bf16": "tensor(FP32)[2]", "sparse": "tensor(FP32)[4,5]",
				"opaque": "unknown", "seqmap": "seq(map(BYTES,tensor(FP32)[]))", "opt": "optional(seq(tensor(FP32)[N]))",
			}
			for _, v := range m.Graph.ValueInfo {
				if v.Type.String() != want[v.Name] {
					t.Errorf("%s: %v, want %v", v.Name, v.Type, want[v.Name])
				}
			}
			if k := m.Graph.ValueInfo[3].Type.Kind; k != KindSparseTensor {
				t.Errorf("sparse kind %v", k)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := modelProto(reluGraph())
			tt.mutate(m)
			got, err := Decode(marshal(t, m))
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestDecodeAttributes(t *testing.T) {
	typ := onnxpb.AttributeProto_UNDEFINED
	attr := func(name string, ty onnxpb.AttributeProto_AttributeType, f func(a *onnxpb.AttributeProto)) *onnxpb.AttributeProto {
		a := &onnxpb.AttributeProto{Name: proto.String(name), Type: ty.Enum()}
		f(a)
		return a
	}
	sparse := &onnxpb.SparseTensorProto{Dims: []int64{3}, Values: &onnxpb.TensorProto{DataType: proto.Int32(tInt64), Dims: []int64{1}, Int64Data: []int64{9}},
		Indices: &onnxpb.TensorProto{DataType: proto.Int32(tInt64), Dims: []int64{1}, Int64Data: []int64{1}}}
	sub := branch("sub", "X", "s")
	attrs := []*onnxpb.AttributeProto{
		attr("f", onnxpb.AttributeProto_FLOAT, func(a *onnxpb.AttributeProto) { a.F = proto.Float32(0.5) }),
		attr("i", onnxpb.AttributeProto_INT, func(a *onnxpb.AttributeProto) { a.I = proto.Int64(-3) }),
		attr("s", onnxpb.AttributeProto_STRING, func(a *onnxpb.AttributeProto) { a.S = []byte("NOTSET") }),
		attr("t", onnxpb.AttributeProto_TENSOR, func(a *onnxpb.AttributeProto) { a.T = floatTensor("", []int64{2}, 1, 2) }),
		attr("g", onnxpb.AttributeProto_GRAPH, func(a *onnxpb.AttributeProto) { a.G = sub }),
		attr("floats", onnxpb.AttributeProto_FLOATS, func(a *onnxpb.AttributeProto) { a.Floats = []float32{1, 2} }),
		attr("ints", onnxpb.AttributeProto_INTS, func(a *onnxpb.AttributeProto) { a.Ints = []int64{1, -2} }),
		attr("strings", onnxpb.AttributeProto_STRINGS, func(a *onnxpb.AttributeProto) { a.Strings = [][]byte{[]byte("a"), []byte("b")} }),
		attr("tensors", onnxpb.AttributeProto_TENSORS, func(a *onnxpb.AttributeProto) { a.Tensors = []*onnxpb.TensorProto{floatTensor("", nil, 7)} }),
		attr("graphs", onnxpb.AttributeProto_GRAPHS, func(a *onnxpb.AttributeProto) { a.Graphs = []*onnxpb.GraphProto{sub, sub} }),
		attr("sparse", onnxpb.AttributeProto_SPARSE_TENSOR, func(a *onnxpb.AttributeProto) { a.SparseTensor = sparse }),
		attr("sparses", onnxpb.AttributeProto_SPARSE_TENSORS, func(a *onnxpb.AttributeProto) { a.SparseTensors = []*onnxpb.SparseTensorProto{sparse} }),
		attr("tp", onnxpb.AttributeProto_TYPE_PROTO, func(a *onnxpb.AttributeProto) { a.Tp = tensorTypeProto(tInt64, 2) }),
		attr("tps", onnxpb.AttributeProto_TYPE_PROTOS, func(a *onnxpb.AttributeProto) { a.TypeProtos = []*onnxpb.TypeProto{seqOf(tensorTypeProto(tBool))} }),
		attr("old_int", typ, func(a *onnxpb.AttributeProto) { a.I = proto.Int64(4) }),
		attr("old_floats", typ, func(a *onnxpb.AttributeProto) { a.Floats = []float32{3} }),
		attr("ref", typ, func(a *onnxpb.AttributeProto) { a.RefAttrName = proto.String("alpha") }),
	}
	g := reluGraph()
	g.Node[0].Attribute = attrs
	m, err := Decode(marshal(t, modelProto(g)))
	if err != nil {
		t.Fatal(err)
	}
	a := m.Graph.Nodes[0].Attrs
	n := m.Graph.Nodes[0]
	checks := []struct {
		name string
		typ  AttrType
		got  any
		want any
	}{
		{"f", AttrFloat, n.AttrFloat("f", 0), float32(0.5)},
		{"i", AttrInt, n.AttrInt("i", 0), int64(-3)},
		{"s", AttrString, n.AttrString("s", ""), "NOTSET"},
		{"t", AttrTensor, tensor.Data[float32](n.AttrTensor("t")), []float32{1, 2}},
		{"g", AttrGraph, opTypes(a["g"].Graph.Nodes), []string{"Neg"}},
		{"floats", AttrFloats, n.AttrFloats("floats", nil), []float32{1, 2}},
		{"ints", AttrInts, n.AttrInts("ints", nil), []int64{1, -2}},
		{"strings", AttrStrings, n.AttrStrings("strings", nil), []string{"a", "b"}},
		{"tensors", AttrTensors, tensor.Data[float32](a["tensors"].Tensors[0]), []float32{7}},
		{"graphs", AttrGraphs, len(a["graphs"].Graphs), 2},
		{"sparse", AttrSparseTensor, tensor.Data[int64](a["sparse"].Tensor), []int64{0, 9, 0}},
		{"sparses", AttrSparseTensors, tensor.Data[int64](a["sparses"].Tensors[0]), []int64{0, 9, 0}},
		{"tp", AttrTypeProto, a["tp"].TypeProto.String(), "tensor(INT64)[2]"},
		{"tps", AttrTypeProtos, a["tps"].TypeProtos[0].String(), "seq(tensor(BOOL)[])"},
		{"old_int", AttrInt, n.AttrInt("old_int", 0), int64(4)},
		{"old_floats", AttrFloats, n.AttrFloats("old_floats", nil), []float32{3}},
		{"ref", AttrUndefined, a["ref"].RefAttrName, "alpha"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if a[c.name].Type != c.typ {
				t.Errorf("type %v, want %v", a[c.name].Type, c.typ)
			}
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}
