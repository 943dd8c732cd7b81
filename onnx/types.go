package onnx

import (
	"fmt"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
)

// typ converts a TypeProto. A missing type or an opaque type is
// KindUnknown; a tensor type may leave its element type UNDEFINED
// (tensor.Invalid) and its shape absent (HasRank false). BFLOAT16 element
// types become FP32, matching how bfloat16 tensors are decoded.
func typ(tp *onnxpb.TypeProto, depth int) (Type, error) {
	if tp == nil {
		return Type{}, nil
	}
	if depth > maxDepth {
		return Type{}, tooDeep("types")
	}
	switch v := tp.GetValue().(type) {
	case *onnxpb.TypeProto_TensorType:
		return tensorType(KindTensor, v.TensorType.GetElemType(), v.TensorType.GetShape())
	case *onnxpb.TypeProto_SparseTensorType:
		return tensorType(KindSparseTensor, v.SparseTensorType.GetElemType(), v.SparseTensorType.GetShape())
	case *onnxpb.TypeProto_SequenceType:
		elem, err := elemType(v.SequenceType.GetElemType(), depth)
		if err != nil {
			return Type{}, wrapType("sequence element", err)
		}
		return Type{Kind: KindSequence, Elem: elem}, nil
	case *onnxpb.TypeProto_OptionalType:
		elem, err := elemType(v.OptionalType.GetElemType(), depth)
		if err != nil {
			return Type{}, wrapType("optional element", err)
		}
		return Type{Kind: KindOptional, Elem: elem}, nil
	case *onnxpb.TypeProto_MapType:
		key, err := toDType(v.MapType.GetKeyType(), false)
		if err != nil {
			return Type{}, fmt.Errorf("map key: %w", err)
		}
		if !key.IsInteger() && key != tensor.String {
			return Type{}, fmt.Errorf("map key type %v is not an integer or string type", key)
		}
		elem, err := elemType(v.MapType.GetValueType(), depth)
		if err != nil {
			return Type{}, wrapType("map value", err)
		}
		return Type{Kind: KindMap, KeyType: key, Elem: elem}, nil
	}
	return Type{}, nil // opaque or not set
}

func elemType(tp *onnxpb.TypeProto, depth int) (*Type, error) {
	if tp == nil {
		return nil, fmt.Errorf("missing type")
	}
	t, err := typ(tp, depth+1)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func tensorType(kind TypeKind, code int32, sp *onnxpb.TensorShapeProto) (Type, error) {
	dt, err := toDType(code, true)
	if err != nil {
		return Type{}, err
	}
	t := Type{Kind: kind, DType: dt}
	if sp == nil {
		return t, nil
	}
	t.HasRank = true
	t.Shape = make([]Dim, len(sp.GetDim()))
	for i, d := range sp.GetDim() {
		t.Shape[i] = Dim{Value: -1}
		switch v := d.GetValue().(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			if v.DimValue < 0 {
				return Type{}, fmt.Errorf("negative dimension %d at axis %d", v.DimValue, i)
			}
			t.Shape[i].Value = v.DimValue
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			t.Shape[i].Param = v.DimParam
		}
	}
	return t, nil
}

// valueInfo converts a ValueInfoProto; errors name the value.
func valueInfo(vp *onnxpb.ValueInfoProto) (ValueInfo, error) {
	t, err := typ(vp.GetType(), 0)
	if err != nil {
		return ValueInfo{}, fmt.Errorf("value %q: %w", vp.GetName(), err)
	}
	return ValueInfo{Name: vp.GetName(), Type: t, Doc: vp.GetDocString()}, nil
}

// wrapType adds context to an element type's error, except for depth errors,
// which would otherwise repeat it once per level.
func wrapType(what string, err error) error {
	if isDepth(err) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
