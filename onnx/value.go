package onnx

import (
	"fmt"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
	"google.golang.org/protobuf/proto"
)

// Value is a decoded ONNX data value (onnx-data.proto): a tensor, a
// sequence, a map or an optional. Sparse tensors are densified, so a value
// is never KindSparseTensor.
type Value struct {
	Kind TypeKind
	// Tensor is the value of a KindTensor.
	Tensor *tensor.Tensor
	// Elems are the elements of a KindSequence, or the values of a KindMap
	// (Elems[i] belongs to key i).
	Elems []*Value
	// Keys are the keys of a KindMap as a 1-D tensor of the key type.
	Keys *tensor.Tensor
	// Elem is the content of a KindOptional; nil when the optional is empty.
	Elem *Value
}

// DecodeValue decodes a serialized value of type t: a TensorProto for
// tensors and sparse tensors (a SparseTensorProto, densified), a
// SequenceProto, MapProto or OptionalProto for the others. Errors wrap
// ErrInvalidModel.
func DecodeValue(data []byte, t Type, opts ...Option) (*Value, error) {
	var m proto.Message
	switch t.Kind {
	case KindTensor:
		m = &onnxpb.TensorProto{}
	case KindSparseTensor:
		m = &onnxpb.SparseTensorProto{}
	case KindSequence:
		m = &onnxpb.SequenceProto{}
	case KindMap:
		m = &onnxpb.MapProto{}
	case KindOptional:
		m = &onnxpb.OptionalProto{}
	default:
		return nil, invalid(fmt.Errorf("cannot decode a value of type %v", t))
	}
	if err := proto.Unmarshal(data, m); err != nil {
		return nil, invalid(fmt.Errorf("parse %s: %w", m.ProtoReflect().Descriptor().Name(), err))
	}
	d := newDecoder(opts)
	defer d.close()
	var v *Value
	var err error
	switch m := m.(type) {
	case *onnxpb.TensorProto:
		v, err = d.tensorValue(d.tensor(m))
	case *onnxpb.SparseTensorProto:
		v, err = d.tensorValue(d.sparse(m))
	case *onnxpb.SequenceProto:
		v, err = d.sequence(m, 0)
	case *onnxpb.MapProto:
		v, err = d.mapValue(m, 0)
	case *onnxpb.OptionalProto:
		v, err = d.optional(m, 0)
	}
	if err != nil {
		return nil, invalid(err)
	}
	return v, nil
}

// DecodeSequence decodes a serialized SequenceProto.
func DecodeSequence(data []byte, opts ...Option) (*Value, error) {
	return DecodeValue(data, Type{Kind: KindSequence}, opts...)
}

// DecodeMap decodes a serialized MapProto.
func DecodeMap(data []byte, opts ...Option) (*Value, error) {
	return DecodeValue(data, Type{Kind: KindMap}, opts...)
}

// DecodeOptional decodes a serialized OptionalProto.
func DecodeOptional(data []byte, opts ...Option) (*Value, error) {
	return DecodeValue(data, Type{Kind: KindOptional}, opts...)
}

func (d *decoder) tensorValue(t *tensor.Tensor, err error) (*Value, error) {
	if err != nil {
		return nil, err
	}
	return &Value{Kind: KindTensor, Tensor: t}, nil
}

// sequence decodes a SequenceProto of one element type, at depth; an
// element's error names it.
func (d *decoder) sequence(sp *onnxpb.SequenceProto, depth int) (*Value, error) {
	if depth > maxDepth {
		return nil, tooDeep("values")
	}
	v := &Value{Kind: KindSequence}
	var err error
	switch onnxpb.SequenceProto_DataType(sp.GetElemType()) {
	case onnxpb.SequenceProto_TENSOR:
		err = decodeElems(v, sp, sp.GetTensorValues(), func(tp *onnxpb.TensorProto) (*Value, error) { return d.tensorValue(d.tensor(tp)) })
	case onnxpb.SequenceProto_SPARSE_TENSOR:
		err = decodeElems(v, sp, sp.GetSparseTensorValues(), func(tp *onnxpb.SparseTensorProto) (*Value, error) { return d.tensorValue(d.sparse(tp)) })
	case onnxpb.SequenceProto_SEQUENCE:
		err = decodeElems(v, sp, sp.GetSequenceValues(), func(s *onnxpb.SequenceProto) (*Value, error) { return d.sequence(s, depth+1) })
	case onnxpb.SequenceProto_MAP:
		err = decodeElems(v, sp, sp.GetMapValues(), func(m *onnxpb.MapProto) (*Value, error) { return d.mapValue(m, depth+1) })
	case onnxpb.SequenceProto_OPTIONAL:
		err = decodeElems(v, sp, sp.GetOptionalValues(), func(o *onnxpb.OptionalProto) (*Value, error) { return d.optional(o, depth+1) })
	case onnxpb.SequenceProto_UNDEFINED:
		if len(sp.GetTensorValues())+len(sp.GetSparseTensorValues())+len(sp.GetSequenceValues())+
			len(sp.GetMapValues())+len(sp.GetOptionalValues()) > 0 {
			return nil, fmt.Errorf("sequence %q has elements but an UNDEFINED elem_type", sp.GetName())
		}
	default:
		return nil, fmt.Errorf("sequence %q has unknown elem_type %d", sp.GetName(), sp.GetElemType())
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// decodeElems appends the elements of sequence sp, decoded, to v; the
// error of the first that fails names it.
func decodeElems[T any](v *Value, sp *onnxpb.SequenceProto, elems []T, decode func(T) (*Value, error)) error {
	for _, e := range elems {
		x, err := decode(e)
		if err != nil {
			return fmt.Errorf("sequence %q element %d: %w", sp.GetName(), len(v.Elems), err)
		}
		v.Elems = append(v.Elems, x)
	}
	return nil
}

func (d *decoder) mapValue(mp *onnxpb.MapProto, depth int) (*Value, error) {
	if depth > maxDepth {
		return nil, tooDeep("values")
	}
	key, err := toDType(mp.GetKeyType(), false)
	if err != nil {
		return nil, fmt.Errorf("map %q key: %w", mp.GetName(), err)
	}
	v := &Value{Kind: KindMap}
	var nkeys int
	switch {
	case key == tensor.String:
		keys := make([]string, len(mp.GetStringKeys()))
		for i, k := range mp.GetStringKeys() {
			keys[i] = string(k)
		}
		v.Keys, nkeys = tensor.MustFromSlice(keys, len(keys)), len(keys)
	case key.IsInteger():
		v.Keys, nkeys = intKeys(key, mp.GetKeys()), len(mp.GetKeys())
	default:
		return nil, fmt.Errorf("map %q key type %v is not an integer or string type", mp.GetName(), key)
	}
	if mp.GetValues() == nil {
		if nkeys > 0 {
			return nil, fmt.Errorf("map %q has %d keys but no values", mp.GetName(), nkeys)
		}
		return v, nil
	}
	vals, err := d.sequence(mp.GetValues(), depth+1)
	if err != nil {
		return nil, fmt.Errorf("map %q values: %w", mp.GetName(), err)
	}
	if len(vals.Elems) != nkeys {
		return nil, fmt.Errorf("map %q has %d keys but %d values", mp.GetName(), nkeys, len(vals.Elems))
	}
	v.Elems = vals.Elems
	return v, nil
}

// intKeys converts map keys (stored as int64) to a tensor of the key type.
func intKeys(key tensor.DType, k []int64) *tensor.Tensor {
	n := len(k)
	if k == nil {
		k = []int64{}
	}
	switch key {
	case tensor.Int8:
		return tensor.MustFromSlice(castAll[int8](k), n)
	case tensor.Int16:
		return tensor.MustFromSlice(castAll[int16](k), n)
	case tensor.Int32:
		return tensor.MustFromSlice(castAll[int32](k), n)
	case tensor.Uint8:
		return tensor.MustFromSlice(castAll[uint8](k), n)
	case tensor.Uint16:
		return tensor.MustFromSlice(castAll[uint16](k), n)
	case tensor.Uint32:
		return tensor.MustFromSlice(castAll[uint32](k), n)
	case tensor.Uint64:
		return tensor.MustFromSlice(castAll[uint64](k), n)
	}
	return tensor.MustFromSlice(k, n)
}

func (d *decoder) optional(op *onnxpb.OptionalProto, depth int) (*Value, error) {
	if depth > maxDepth {
		return nil, tooDeep("values")
	}
	v := &Value{Kind: KindOptional}
	var err error
	switch onnxpb.OptionalProto_DataType(op.GetElemType()) {
	case onnxpb.OptionalProto_UNDEFINED:
		return v, nil
	case onnxpb.OptionalProto_TENSOR:
		if op.GetTensorValue() != nil {
			v.Elem, err = d.tensorValue(d.tensor(op.GetTensorValue()))
		}
	case onnxpb.OptionalProto_SPARSE_TENSOR:
		if op.GetSparseTensorValue() != nil {
			v.Elem, err = d.tensorValue(d.sparse(op.GetSparseTensorValue()))
		}
	case onnxpb.OptionalProto_SEQUENCE:
		if op.GetSequenceValue() != nil {
			v.Elem, err = d.sequence(op.GetSequenceValue(), depth+1)
		}
	case onnxpb.OptionalProto_MAP:
		if op.GetMapValue() != nil {
			v.Elem, err = d.mapValue(op.GetMapValue(), depth+1)
		}
	case onnxpb.OptionalProto_OPTIONAL:
		if op.GetOptionalValue() != nil {
			v.Elem, err = d.optional(op.GetOptionalValue(), depth+1)
		}
	default:
		return nil, fmt.Errorf("optional %q has unknown elem_type %d", op.GetName(), op.GetElemType())
	}
	if err != nil {
		return nil, fmt.Errorf("optional %q: %w", op.GetName(), err)
	}
	return v, nil
}
