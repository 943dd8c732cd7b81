package onnx

import (
	"reflect"
	"testing"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
	"google.golang.org/protobuf/proto"
)

func seqProto(elem onnxpb.SequenceProto_DataType, f func(s *onnxpb.SequenceProto)) *onnxpb.SequenceProto {
	s := &onnxpb.SequenceProto{Name: proto.String("seq"), ElemType: proto.Int32(int32(elem))}
	if f != nil {
		f(s)
	}
	return s
}

func scalars(vals ...float32) *onnxpb.SequenceProto {
	return seqProto(onnxpb.SequenceProto_TENSOR, func(s *onnxpb.SequenceProto) {
		for _, v := range vals {
			s.TensorValues = append(s.TensorValues, floatTensor("", nil, v))
		}
	})
}

// describe renders a value compactly for comparisons.
func describe(v *Value) any {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case KindTensor:
		return v.Tensor.Data()
	case KindSequence:
		out := []any{}
		for _, e := range v.Elems {
			out = append(out, describe(e))
		}
		return out
	case KindMap:
		out := []any{v.Keys.Data()}
		for _, e := range v.Elems {
			out = append(out, describe(e))
		}
		return out
	case KindOptional:
		return map[string]any{"some": describe(v.Elem)}
	}
	return "?"
}

func TestDecodeValues(t *testing.T) {
	intMap := &onnxpb.MapProto{Name: proto.String("m"), KeyType: proto.Int32(tInt64), Keys: []int64{3, 1}, Values: scalars(0.5, 1.5)}
	strMap := &onnxpb.MapProto{Name: proto.String("m"), KeyType: proto.Int32(tString), StringKeys: [][]byte{[]byte("cat")}, Values: scalars(0.25)}
	tests := []struct {
		name string
		msg  proto.Message
		typ  Type
		want any
	}{
		{"tensor", floatTensor("t", []int64{2}, 1, 2), Type{Kind: KindTensor}, []float32{1, 2}},
		{"sparse tensor", &onnxpb.SparseTensorProto{Dims: []int64{3}, Values: floatTensor("v", []int64{1}, 4),
			Indices: &onnxpb.TensorProto{DataType: proto.Int32(tInt64), Dims: []int64{1}, Int64Data: []int64{2}}},
			Type{Kind: KindSparseTensor}, []float32{0, 0, 4}},
		{"sequence of tensors", scalars(1, 2), Type{Kind: KindSequence}, []any{[]float32{1}, []float32{2}}},
		{"empty sequence", seqProto(onnxpb.SequenceProto_UNDEFINED, nil), Type{Kind: KindSequence}, []any{}},
		{"sequence of sequences", seqProto(onnxpb.SequenceProto_SEQUENCE, func(s *onnxpb.SequenceProto) {
			s.SequenceValues = []*onnxpb.SequenceProto{scalars(1), scalars()}
		}), Type{Kind: KindSequence}, []any{[]any{[]float32{1}}, []any{}}},
		{"sequence of maps", seqProto(onnxpb.SequenceProto_MAP, func(s *onnxpb.SequenceProto) {
			s.MapValues = []*onnxpb.MapProto{intMap, strMap}
		}), Type{Kind: KindSequence}, []any{
			[]any{[]int64{3, 1}, []float32{0.5}, []float32{1.5}},
			[]any{[]string{"cat"}, []float32{0.25}},
		}},
		{"sequence of optionals", seqProto(onnxpb.SequenceProto_OPTIONAL, func(s *onnxpb.SequenceProto) {
			s.OptionalValues = []*onnxpb.OptionalProto{{}}
		}), Type{Kind: KindSequence}, []any{map[string]any{"some": nil}}},
		{"sequence of sparse tensors", seqProto(onnxpb.SequenceProto_SPARSE_TENSOR, func(s *onnxpb.SequenceProto) {
			s.SparseTensorValues = []*onnxpb.SparseTensorProto{{Dims: []int64{2}, Values: floatTensor("v", []int64{1}, 4),
				Indices: &onnxpb.TensorProto{DataType: proto.Int32(tInt64), Dims: []int64{1}, Int64Data: []int64{0}}}}
		}), Type{Kind: KindSequence}, []any{[]float32{4, 0}}},
		{"int32 map keys", &onnxpb.MapProto{KeyType: proto.Int32(int32(onnxpb.TensorProto_INT32)), Keys: []int64{-1}, Values: scalars(2)},
			Type{Kind: KindMap}, []any{[]int32{-1}, []float32{2}}},
		{"empty map", &onnxpb.MapProto{KeyType: proto.Int32(tInt64)}, Type{Kind: KindMap}, []any{[]int64{}}},
		{"empty optional", &onnxpb.OptionalProto{}, Type{Kind: KindOptional}, map[string]any{"some": nil}},
		{"optional tensor", &onnxpb.OptionalProto{ElemType: proto.Int32(int32(onnxpb.OptionalProto_TENSOR)), TensorValue: floatTensor("t", nil, 3)},
			Type{Kind: KindOptional}, map[string]any{"some": []float32{3}}},
		{"optional tensor, empty", &onnxpb.OptionalProto{ElemType: proto.Int32(int32(onnxpb.OptionalProto_TENSOR))},
			Type{Kind: KindOptional}, map[string]any{"some": nil}},
		{"optional sequence", &onnxpb.OptionalProto{ElemType: proto.Int32(int32(onnxpb.OptionalProto_SEQUENCE)), SequenceValue: scalars(1)},
			Type{Kind: KindOptional}, map[string]any{"some": []any{[]float32{1}}}},
		{"optional map", &onnxpb.OptionalProto{ElemType: proto.Int32(int32(onnxpb.OptionalProto_MAP)), MapValue: strMap},
			Type{Kind: KindOptional}, map[string]any{"some": []any{[]string{"cat"}, []float32{0.25}}}},
		{"optional optional", &onnxpb.OptionalProto{ElemType: proto.Int32(int32(onnxpb.OptionalProto_OPTIONAL)), OptionalValue: &onnxpb.OptionalProto{}},
			Type{Kind: KindOptional}, map[string]any{"some": map[string]any{"some": nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := DecodeValue(marshal(t, tt.msg), tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(v); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	t.Run("typed helpers", func(t *testing.T) {
		s, err := DecodeSequence(marshal(t, scalars(1)))
		if err != nil || s.Kind != KindSequence {
			t.Errorf("DecodeSequence = %+v, %v", s, err)
		}
		m, err := DecodeMap(marshal(t, intMap))
		if err != nil || m.Kind != KindMap || m.Keys.DType() != tensor.Int64 {
			t.Errorf("DecodeMap = %+v, %v", m, err)
		}
		o, err := DecodeOptional(marshal(t, &onnxpb.OptionalProto{}))
		if err != nil || o.Kind != KindOptional || o.Elem != nil {
			t.Errorf("DecodeOptional = %+v, %v", o, err)
		}
	})
}

func TestDecodeValueErrors(t *testing.T) {
	deep := scalars(1)
	for range maxDepth + 2 {
		deep = seqProto(onnxpb.SequenceProto_SEQUENCE, func(s *onnxpb.SequenceProto) { s.SequenceValues = []*onnxpb.SequenceProto{deep} })
	}
	tests := []struct {
		name string
		msg  proto.Message
		typ  Type
		want []string
	}{
		{"unknown sequence elem_type", seqProto(99, nil), Type{Kind: KindSequence}, []string{`sequence "seq" has unknown elem_type 99`}},
		{"undefined elem_type with elements", seqProto(onnxpb.SequenceProto_UNDEFINED, func(s *onnxpb.SequenceProto) {
			s.TensorValues = []*onnxpb.TensorProto{floatTensor("", nil, 1)}
		}), Type{Kind: KindSequence}, []string{"has elements but an UNDEFINED elem_type"}},
		{"bad tensor element", seqProto(onnxpb.SequenceProto_TENSOR, func(s *onnxpb.SequenceProto) {
			s.TensorValues = []*onnxpb.TensorProto{floatTensor("", nil, 1), floatTensor("e", []int64{2}, 1)}
		}), Type{Kind: KindSequence}, []string{`sequence "seq" element 1: tensor "e": float_data holds 1 values`}},
		{"bad map element", seqProto(onnxpb.SequenceProto_MAP, func(s *onnxpb.SequenceProto) {
			s.MapValues = []*onnxpb.MapProto{{Name: proto.String("m"), KeyType: proto.Int32(tFloat)}}
		}), Type{Kind: KindSequence}, []string{`sequence "seq" element 0: map "m" key type FP32 is not an integer or string type`}},
		{"bad optional element", seqProto(onnxpb.SequenceProto_OPTIONAL, func(s *onnxpb.SequenceProto) {
			s.OptionalValues = []*onnxpb.OptionalProto{{}, {Name: proto.String("o"), ElemType: proto.Int32(42)}}
		}), Type{Kind: KindSequence}, []string{`sequence "seq" element 1: optional "o" has unknown elem_type 42`}},
		{"bad sparse element", seqProto(onnxpb.SequenceProto_SPARSE_TENSOR, func(s *onnxpb.SequenceProto) {
			s.SparseTensorValues = []*onnxpb.SparseTensorProto{{Dims: []int64{4}, Values: floatTensor("S", []int64{1}, 1)}}
		}), Type{Kind: KindSequence}, []string{`sequence "seq" element 0: sparse tensor "S": values and indices are required`}},
		{"map keys and values differ", &onnxpb.MapProto{Name: proto.String("m"), KeyType: proto.Int32(tInt64), Keys: []int64{1, 2}, Values: scalars(1)},
			Type{Kind: KindMap}, []string{`map "m" has 2 keys but 1 values`}},
		{"map keys without values", &onnxpb.MapProto{Name: proto.String("m"), KeyType: proto.Int32(tInt64), Keys: []int64{1}},
			Type{Kind: KindMap}, []string{`map "m" has 1 keys but no values`}},
		{"map float keys", &onnxpb.MapProto{Name: proto.String("m"), KeyType: proto.Int32(tFloat)},
			Type{Kind: KindMap}, []string{`map "m" key type FP32 is not an integer or string type`}},
		{"map undefined keys", &onnxpb.MapProto{Name: proto.String("m")}, Type{Kind: KindMap}, []string{`map "m" key: data type is UNDEFINED`}},
		{"unknown optional elem_type", &onnxpb.OptionalProto{Name: proto.String("o"), ElemType: proto.Int32(42)},
			Type{Kind: KindOptional}, []string{`optional "o" has unknown elem_type 42`}},
		{"nested too deep", deep, Type{Kind: KindSequence}, []string{"values nested deeper than 64"}},
		{"unknown kind", scalars(1), Type{}, []string{"cannot decode a value of type unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeValue(marshal(t, tt.msg), tt.typ)
			checkInvalid(t, err, tt.want...)
		})
	}
	t.Run("not a protobuf", func(t *testing.T) {
		_, err := DecodeSequence([]byte{0xff})
		checkInvalid(t, err, "parse SequenceProto")
	})
}
