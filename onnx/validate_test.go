package onnx

import (
	"testing"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// ifNode returns an If node reading cond whose then and else branches are
// then (else is a copy).
func ifNode(name string, then *onnxpb.GraphProto, outs ...string) *onnxpb.NodeProto {
	n := nodeProto("If", []string{"cond"}, outs, graphAttr("then_branch", then), graphAttr("else_branch", proto.Clone(then).(*onnxpb.GraphProto)))
	n.Name = proto.String(name)
	return n
}

// branch is a subgraph computing out = Neg(in).
func branch(name, in, out string) *onnxpb.GraphProto {
	return &onnxpb.GraphProto{
		Name:   proto.String(name),
		Node:   []*onnxpb.NodeProto{nodeProto("Neg", []string{in}, []string{out})},
		Output: []*onnxpb.ValueInfoProto{vi(out, tFloat, 3)},
	}
}

func seqOf(t *onnxpb.TypeProto) *onnxpb.TypeProto {
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{ElemType: t}}}
}

func TestDecodeInvalidModels(t *testing.T) {
	tests := []struct {
		name   string
		model  func() *onnxpb.ModelProto // from modelProto(reluGraph()) unless set
		mutate func(m *onnxpb.ModelProto)
		opts   []Option
		want   []string
	}{
		{name: "missing graph", mutate: func(m *onnxpb.ModelProto) { m.Graph = nil }, want: []string{"model has no graph"}},
		{name: "dangling node input", mutate: func(m *onnxpb.ModelProto) { m.Graph.Node[0].Input[0] = "Z" },
			want: []string{`graph "g"`, `node "Relu -> Y"`, `input "Z" is not a graph input, initializer, outer-scope value or output of any node`}},
		{name: "output produced twice", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Node = append(m.Graph.Node, nodeProto("Neg", []string{"X"}, []string{"Y"}))
		}, want: []string{`node "Neg -> Y": output "Y" is already produced by node "Relu -> Y"`}},
		{name: "node output twice in one node", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Node[0] = nodeProto("Split", []string{"X"}, []string{"Y", "Y"})
		}, want: []string{`output "Y" is already produced by node "Split -> Y"`}},
		{name: "output overwrites a graph input", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Node = append(m.Graph.Node, nodeProto("Neg", []string{"Y"}, []string{"X"}))
		}, want: []string{`output "X" is already a graph input`}},
		{name: "output overwrites an initializer", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = []*onnxpb.TensorProto{floatTensor("W", nil, 1)}
			m.Graph.Node = append(m.Graph.Node, nodeProto("Neg", []string{"Y"}, []string{"W"}))
		}, want: []string{`output "W" is already an initializer`}},
		{name: "cycle", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Node = []*onnxpb.NodeProto{
				nodeProto("Add", []string{"X", "c"}, []string{"Y"}),
				nodeProto("Relu", []string{"Y"}, []string{"c"}),
				nodeProto("Neg", []string{"X"}, []string{"unrelated"}),
			}
		}, want: []string{"is part of a cycle"}},
		{name: "node reads its own output", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Input = []string{"Y"}
		}, want: []string{`node "Relu -> Y" is part of a cycle`}},
		{name: "graph output never produced", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Output = append(m.Graph.Output, vi("Q", tFloat))
		}, want: []string{`output "Q" is not produced by any node`}},
		{name: "dangling input in a subgraph", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, vi("cond", tBool))
			m.Graph.Node = append(m.Graph.Node, ifNode("if", branch("then", "nowhere", "t"), "Z"))
		}, want: []string{`node "if (If)": attribute "else_branch": graph "then": node "Neg -> t": input "nowhere" is not`}},
		{name: "subgraph output never produced", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, vi("cond", tBool))
			b := branch("then", "X", "t")
			b.Output[0].Name = proto.String("u")
			m.Graph.Node = append(m.Graph.Node, ifNode("if", b, "Z"))
		}, want: []string{`graph "then": output "u" is not produced`}},
		{name: "subgraph value is not visible in the parent", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, vi("cond", tBool))
			m.Graph.Node = append(m.Graph.Node, ifNode("if", branch("then", "X", "t"), "Z"), nodeProto("Neg", []string{"t"}, []string{"W"}))
		}, want: []string{`node "Neg -> W": input "t" is not`}},
		{name: "duplicate initializer", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = []*onnxpb.TensorProto{floatTensor("W", nil, 1), floatTensor("W", nil, 2)}
		}, want: []string{`initializer "W" defined twice`}},
		{name: "initializer without a name", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = []*onnxpb.TensorProto{floatTensor("", nil, 1)}
		}, want: []string{"initializer without a name"}},
		{name: "bad initializer", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = []*onnxpb.TensorProto{floatTensor("W", []int64{3}, 1)}
		}, want: []string{`graph "g": initializer: tensor "W": float_data holds 1 values`}},
		{name: "duplicate input", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, vi("X", tFloat))
		}, want: []string{`input "X" listed twice`}},
		{name: "input without a name", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, vi("", tFloat))
		}, want: []string{"input without a name"}},
		{name: "output without a name", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Output = append(m.Graph.Output, vi("", tFloat))
		}, want: []string{"output #1 without a name"}},
		{name: "node without op_type", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].OpType = nil
			m.Graph.Node[0].Name = proto.String("n0")
		}, want: []string{`node #0 "n0 ()": no op_type`}},
		{name: "duplicate attribute", mutate: func(m *onnxpb.ModelProto) {
			a := &onnxpb.AttributeProto{Name: proto.String("alpha"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(1)}
			m.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{a, a}
		}, want: []string{`attribute "alpha" given twice`}},
		{name: "attribute without type or value", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: proto.String("alpha")}}
		}, want: []string{`node #0 "Relu -> Y": attribute "alpha": attribute has no type and no value`}},
		{name: "unknown attribute type", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: proto.String("alpha"), Type: onnxpb.AttributeProto_AttributeType(99).Enum()}}
		}, want: []string{`attribute "alpha": unknown attribute type 99`}},
		{name: "graph attribute without a graph", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: proto.String("body"), Type: onnxpb.AttributeProto_GRAPH.Enum()}}
		}, want: []string{`attribute "body": missing graph`}},
		{name: "bad tensor attribute", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(),
				T: &onnxpb.TensorProto{Name: proto.String("v"), DataType: proto.Int32(int32(onnxpb.TensorProto_COMPLEX64))}}}
		}, want: []string{`attribute "value": tensor "v": unsupported data type COMPLEX64`}},
		{name: "subgraphs nested too deep", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, vi("cond", tBool))
			g := branch("leaf", "X", "t")
			for range maxDepth + 2 {
				n := nodeProto("If", []string{"cond"}, []string{"t"}, graphAttr("then_branch", g))
				g = &onnxpb.GraphProto{Name: proto.String("nest"), Node: []*onnxpb.NodeProto{n}, Output: []*onnxpb.ValueInfoProto{vi("t", tFloat)}}
			}
			m.Graph.Node = append(m.Graph.Node, g.Node[0])
		}, want: []string{`graph "g": node #1 "If -> t": attribute "then_branch": subgraphs nested deeper than 64`}},
		{name: "types nested too deep", mutate: func(m *onnxpb.ModelProto) {
			ty := tensorTypeProto(tFloat)
			for range maxDepth + 2 {
				ty = seqOf(ty)
			}
			m.Graph.ValueInfo = []*onnxpb.ValueInfoProto{{Name: proto.String("s"), Type: ty}}
		}, want: []string{`graph "g": value_info: value "s": types nested deeper than 64`}},
		{name: "negative dimension in a type", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type.GetTensorType().Shape.Dim[1].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: -3}
		}, want: []string{`input: value "X": negative dimension -3 at axis 1`}},
		{name: "complex input type", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.Input[0] = vi("X", int32(onnxpb.TensorProto_COMPLEX128))
		}, want: []string{`value "X": unsupported data type COMPLEX128`}},
		{name: "map with float keys", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.ValueInfo = []*onnxpb.ValueInfoProto{{Name: proto.String("mp"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_MapType{
				MapType: &onnxpb.TypeProto_Map{KeyType: proto.Int32(tFloat), ValueType: tensorTypeProto(tFloat)}}}}}
		}, want: []string{`value "mp": map key type FP32 is not an integer or string type`}},
		{name: "sequence without element type", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.ValueInfo = []*onnxpb.ValueInfoProto{{Name: proto.String("s"), Type: seqOf(nil)}}
		}, want: []string{`value "s": sequence element: missing type`}},
		{name: "opset imported twice", mutate: func(m *onnxpb.ModelProto) {
			m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String("ai.onnx"), Version: proto.Int64(13)})
		}, want: []string{`opset domain "ai.onnx" imported twice`}},
		{name: "opset version zero", mutate: func(m *onnxpb.ModelProto) {
			m.OpsetImport[0].Version = proto.Int64(0)
		}, want: []string{`opset domain "" has version 0`}},
		{name: "sparse index out of range", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{Dims: []int64{4}, Values: floatTensor("S", []int64{1}, 1),
				Indices: &onnxpb.TensorProto{DataType: proto.Int32(tInt64), Dims: []int64{1}, Int64Data: []int64{5}}}}
		}, want: []string{`sparse initializer: sparse tensor "S": index 5 out of range for dense shape [4]`}},
		{name: "sparse coordinates out of range", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{Dims: []int64{2, 2}, Values: floatTensor("S", []int64{1}, 1),
				Indices: &onnxpb.TensorProto{DataType: proto.Int32(tInt64), Dims: []int64{1, 2}, Int64Data: []int64{0, 2}}}}
		}, want: []string{`sparse tensor "S": index [0 2] out of range for dense shape [2 2]`}},
		{name: "sparse indices of the wrong shape", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{Dims: []int64{4}, Values: floatTensor("S", []int64{1}, 1),
				Indices: &onnxpb.TensorProto{DataType: proto.Int32(tInt64), Dims: []int64{2}, Int64Data: []int64{0, 1}}}}
		}, want: []string{`indices shape [2] does not fit 1 values of a rank-1 tensor`}},
		{name: "sparse without indices", mutate: func(m *onnxpb.ModelProto) {
			m.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{Dims: []int64{4}, Values: floatTensor("S", []int64{1}, 1)}}
		}, want: []string{`sparse tensor "S": values and indices are required`}},
		{name: "sparse tensor over the size limit", opts: []Option{WithMaxSparseBytes(1000)}, mutate: func(m *onnxpb.ModelProto) {
			m.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{Dims: []int64{16, 16}, Values: floatTensor("S", []int64{1}, 1),
				Indices: &onnxpb.TensorProto{DataType: proto.Int32(tInt64), Dims: []int64{1}, Int64Data: []int64{0}}}}
		}, want: []string{`sparse tensor "S": dense shape [16 16] of FP32 needs 1024 bytes, more than the limit of 1000`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := modelProto(reluGraph())
			tt.mutate(m)
			_, err := Decode(marshal(t, m), tt.opts...)
			checkInvalid(t, err, tt.want...)
		})
	}
	t.Run("not a protobuf", func(t *testing.T) {
		_, err := Decode([]byte("this is not an ONNX model"))
		checkInvalid(t, err, "parse protobuf")
	})
}
