package onnx

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// Builders of small protobuf models for the tests.

const (
	tFloat  = int32(onnxpb.TensorProto_FLOAT)
	tInt64  = int32(onnxpb.TensorProto_INT64)
	tBool   = int32(onnxpb.TensorProto_BOOL)
	tString = int32(onnxpb.TensorProto_STRING)
)

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tensorType returns a tensor TypeProto; dims < 0 are symbolic ("N").
func tensorTypeProto(elem int32, dims ...int64) *onnxpb.TypeProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		if d < 0 {
			shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}})
		} else {
			shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
		}
	}
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(elem), Shape: shape}}}
}

func vi(name string, elem int32, dims ...int64) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: tensorTypeProto(elem, dims...)}
}

func nodeProto(op string, ins, outs []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Input: ins, Output: outs, Attribute: attrs}
}

func graphAttr(name string, g *onnxpb.GraphProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: g}
}

func floatTensor(name string, dims []int64, vals ...float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(tFloat), Dims: dims, FloatData: vals}
}

func modelProto(g *onnxpb.GraphProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:   proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(16)}},
		Graph:       g,
	}
}

// reluGraph is X -> Relu -> Y.
func reluGraph() *onnxpb.GraphProto {
	return &onnxpb.GraphProto{
		Name:   proto.String("g"),
		Node:   []*onnxpb.NodeProto{nodeProto("Relu", []string{"X"}, []string{"Y"})},
		Input:  []*onnxpb.ValueInfoProto{vi("X", tFloat, -1, 3)},
		Output: []*onnxpb.ValueInfoProto{vi("Y", tFloat, -1, 3)},
	}
}

// checkInvalid asserts err wraps ErrInvalidModel and mentions every want
// fragment.
func checkInvalid(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", want)
	}
	if !errors.Is(err, ErrInvalidModel) {
		t.Errorf("error %q does not wrap ErrInvalidModel", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
