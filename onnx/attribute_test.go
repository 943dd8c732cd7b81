package onnx

import (
	"testing"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// TestDecodeAttributeErrors covers the attribute values that are missing
// or do not decode, for each kind of value; an attribute that refers to a
// function's attribute may have no value.
func TestDecodeAttributeErrors(t *testing.T) {
	badTensor := &onnxpb.TensorProto{Name: proto.String("v"), DataType: proto.Int32(int32(onnxpb.TensorProto_COMPLEX64))}
	badSparse := &onnxpb.SparseTensorProto{Dims: []int64{4}, Values: floatTensor("S", []int64{1}, 1)}
	attr := func(ty onnxpb.AttributeProto_AttributeType, f func(a *onnxpb.AttributeProto)) *onnxpb.AttributeProto {
		a := &onnxpb.AttributeProto{Name: proto.String("a"), Type: ty.Enum()}
		f(a)
		return a
	}
	none := func(*onnxpb.AttributeProto) {}
	tests := []struct {
		name string
		attr *onnxpb.AttributeProto
		want string // "" when the model decodes
	}{
		{"tensor missing", attr(onnxpb.AttributeProto_TENSOR, none), `attribute "a": missing tensor`},
		{"sparse tensor missing", attr(onnxpb.AttributeProto_SPARSE_TENSOR, none), `attribute "a": missing sparse tensor`},
		{"graph missing", attr(onnxpb.AttributeProto_GRAPH, none), `attribute "a": missing graph`},
		{"type missing", attr(onnxpb.AttributeProto_TYPE_PROTO, none), `attribute "a": missing type`},
		{"bad type", attr(onnxpb.AttributeProto_TYPE_PROTO, func(a *onnxpb.AttributeProto) { a.Tp = seqOf(nil) }),
			`attribute "a": sequence element: missing type`},
		{"bad tensor in a list", attr(onnxpb.AttributeProto_TENSORS, func(a *onnxpb.AttributeProto) {
			a.Tensors = []*onnxpb.TensorProto{floatTensor("", nil, 1), badTensor}
		}), `attribute "a": tensor "v": unsupported data type COMPLEX64`},
		{"bad sparse tensor", attr(onnxpb.AttributeProto_SPARSE_TENSOR, func(a *onnxpb.AttributeProto) { a.SparseTensor = badSparse }),
			`attribute "a": sparse tensor "S": values and indices are required`},
		{"bad sparse tensor in a list", attr(onnxpb.AttributeProto_SPARSE_TENSORS, func(a *onnxpb.AttributeProto) {
			a.SparseTensors = []*onnxpb.SparseTensorProto{badSparse}
		}), `attribute "a": sparse tensor "S": values and indices are required`},
		{"bad graph in a list", attr(onnxpb.AttributeProto_GRAPHS, func(a *onnxpb.AttributeProto) {
			a.Graphs = []*onnxpb.GraphProto{branch("ok", "X", "t"), branch("bad", "nowhere", "t")}
		}), `attribute "a": graph "bad": node "Neg -> t": input "nowhere" is not`},
		{"bad type in a list", attr(onnxpb.AttributeProto_TYPE_PROTOS, func(a *onnxpb.AttributeProto) {
			a.TypeProtos = []*onnxpb.TypeProto{tensorTypeProto(tFloat), seqOf(nil)}
		}), `attribute "a": sequence element: missing type`},
		{"reference without a value", attr(onnxpb.AttributeProto_TENSOR, func(a *onnxpb.AttributeProto) {
			a.RefAttrName = proto.String("value")
		}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := reluGraph()
			g.Node[0].Attribute = []*onnxpb.AttributeProto{tt.attr}
			m, err := Decode(marshal(t, modelProto(g)))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if a := m.Graph.Nodes[0].Attrs["a"]; a.Type != AttrTensor || a.Tensor != nil || a.RefAttrName != "value" {
					t.Errorf("attribute %+v, want a tensor reference to value without a tensor", a)
				}
				return
			}
			checkInvalid(t, err, tt.want)
		})
	}
}
