//go:build ort

package ort

import (
	"encoding/binary"
	"fmt"
	"slices"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// tensorOf converts an ONNX Runtime tensor to an inferd tensor. Numeric data
// is already a Go copy made by onnxruntime_go and is taken over as is.
func tensorOf(v ortgo.Value) (*tensor.Tensor, error) {
	shape := intShape(v.GetShape())
	switch x := v.(type) {
	case *ortgo.Tensor[bool]:
		return tensor.FromSlice(x.GetData(), shape...)
	case *ortgo.Tensor[uint8]:
		return tensor.FromSlice(x.GetData(), shape...)
	case *ortgo.Tensor[uint16]:
		return tensor.FromSlice(x.GetData(), shape...)
	case *ortgo.Tensor[uint32]:
		return tensor.FromSlice(x.GetData(), shape...)
	case *ortgo.Tensor[uint64]:
		return tensor.FromSlice(x.GetData(), shape...)
	case *ortgo.Tensor[int8]:
		return tensor.FromSlice(x.GetData(), shape...)
	case *ortgo.Tensor[int16]:
		return tensor.FromSlice(x.GetData(), shape...)
	case *ortgo.Tensor[int32]:
		return tensor.FromSlice(x.GetData(), shape...)
	case *ortgo.Tensor[int64]:
		return tensor.FromSlice(x.GetData(), shape...)
	case *ortgo.Tensor[float32]:
		return tensor.FromSlice(x.GetData(), shape...)
	case *ortgo.Tensor[float64]:
		return tensor.FromSlice(x.GetData(), shape...)
	case *ortgo.Scalar[bool]:
		return tensor.Scalar(x.GetData()), nil
	case *ortgo.Scalar[uint8]:
		return tensor.Scalar(x.GetData()), nil
	case *ortgo.Scalar[uint16]:
		return tensor.Scalar(x.GetData()), nil
	case *ortgo.Scalar[uint32]:
		return tensor.Scalar(x.GetData()), nil
	case *ortgo.Scalar[uint64]:
		return tensor.Scalar(x.GetData()), nil
	case *ortgo.Scalar[int8]:
		return tensor.Scalar(x.GetData()), nil
	case *ortgo.Scalar[int16]:
		return tensor.Scalar(x.GetData()), nil
	case *ortgo.Scalar[int32]:
		return tensor.Scalar(x.GetData()), nil
	case *ortgo.Scalar[int64]:
		return tensor.Scalar(x.GetData()), nil
	case *ortgo.Scalar[float32]:
		return tensor.Scalar(x.GetData()), nil
	case *ortgo.Scalar[float64]:
		return tensor.Scalar(x.GetData()), nil
	case *ortgo.StringTensor:
		if len(shape) == 0 {
			// GetContents takes rank 0 for empty.
			e, err := x.GetElement(0)
			if err != nil {
				return nil, err
			}
			return tensor.Scalar(e), nil
		}
		s, err := x.GetContents()
		if err != nil {
			return nil, err
		}
		return tensor.FromSlice(s, shape...)
	case *ortgo.CustomDataTensor:
		et := ortgo.TensorElementDataType(x.DataType())
		if et != ortgo.TensorElementDataTypeFloat16 {
			return nil, fmt.Errorf("element type %v has no inferd datatype", et)
		}
		raw := x.GetData()
		bits := make([]uint16, len(raw)/2)
		for i := range bits {
			bits[i] = binary.LittleEndian.Uint16(raw[2*i:])
		}
		return tensor.FromFloat16Bits(bits, shape...)
	}
	return nil, fmt.Errorf("a %v is not a tensor", v.GetONNXType())
}

// scalarOutput preallocates a rank-0 output: onnxruntime_go cannot return
// rank-0 tensors it allocates itself. It returns nil for types it cannot
// preallocate.
func scalarOutput(dt tensor.DType) (ortgo.Value, error) {
	switch dt {
	case tensor.Bool:
		return ortgo.NewEmptyScalar[bool]()
	case tensor.Uint8:
		return ortgo.NewEmptyScalar[uint8]()
	case tensor.Uint16:
		return ortgo.NewEmptyScalar[uint16]()
	case tensor.Uint32:
		return ortgo.NewEmptyScalar[uint32]()
	case tensor.Uint64:
		return ortgo.NewEmptyScalar[uint64]()
	case tensor.Int8:
		return ortgo.NewEmptyScalar[int8]()
	case tensor.Int16:
		return ortgo.NewEmptyScalar[int16]()
	case tensor.Int32:
		return ortgo.NewEmptyScalar[int32]()
	case tensor.Int64:
		return ortgo.NewEmptyScalar[int64]()
	case tensor.Float32:
		return ortgo.NewEmptyScalar[float32]()
	case tensor.Float64:
		return ortgo.NewEmptyScalar[float64]()
	}
	return nil, nil
}

func intShape(s ortgo.Shape) []int {
	out := make([]int, len(s))
	for i, d := range s {
		out[i] = int(d)
	}
	return out
}

// valueOf converts any ONNX Runtime value to an ONNX value. A map's values
// become one scalar tensor each, as in the ONNX value protos.
func valueOf(v ortgo.Value) (*onnx.Value, error) {
	switch x := v.(type) {
	case *ortgo.Sequence:
		elems, err := x.GetValues()
		if err != nil {
			return nil, err
		}
		out := &onnx.Value{Kind: onnx.KindSequence, Elems: make([]*onnx.Value, len(elems))}
		for i, e := range elems {
			if out.Elems[i], err = valueOf(e); err != nil {
				return nil, fmt.Errorf("sequence element %d: %w", i, err)
			}
		}
		return out, nil
	case *ortgo.Map:
		keys, vals, err := mapTensors(x)
		if err != nil {
			return nil, err
		}
		out := &onnx.Value{Kind: onnx.KindMap, Keys: keys, Elems: make([]*onnx.Value, vals.Len())}
		for i := range out.Elems {
			out.Elems[i] = &onnx.Value{Kind: onnx.KindTensor, Tensor: element(vals, i)}
		}
		return out, nil
	}
	t, err := tensorOf(v)
	if err != nil {
		return nil, err
	}
	return &onnx.Value{Kind: onnx.KindTensor, Tensor: t}, nil
}

// mapTensors returns a map's keys and values as 1-D tensors.
func mapTensors(m *ortgo.Map) (keys, vals *tensor.Tensor, err error) {
	kv, vv, err := m.GetKeysAndValues()
	if err != nil {
		return nil, nil, err
	}
	if keys, err = tensorOf(kv); err != nil {
		return nil, nil, fmt.Errorf("map keys: %w", err)
	}
	if vals, err = tensorOf(vv); err != nil {
		return nil, nil, fmt.Errorf("map values: %w", err)
	}
	if keys.Len() != vals.Len() {
		return nil, nil, fmt.Errorf("map has %d keys but %d values", keys.Len(), vals.Len())
	}
	return keys, vals, nil
}

// flatten converts an output to the tensor Run returns: tensors as they
// are, a sequence of maps as the [N, K] matrix of their values in key
// order, a map as its values in key order, a sequence of tensors as their
// stack. empty describes the result of an empty sequence.
func flatten(v ortgo.Value, empty port) (*tensor.Tensor, error) {
	switch x := v.(type) {
	case *ortgo.Map:
		_, vals, err := mapTensors(x)
		return vals, err
	case *ortgo.Sequence:
		elems, err := x.GetValues()
		if err != nil {
			return nil, err
		}
		if len(elems) == 0 {
			return emptyStack(empty)
		}
		rows := make([]*tensor.Tensor, len(elems))
		var keys0 *tensor.Tensor
		for i, e := range elems {
			m, isMap := e.(*ortgo.Map)
			if !isMap {
				if rows[i], err = tensorOf(e); err != nil {
					return nil, fmt.Errorf("sequence element %d: %w", i, err)
				}
				continue
			}
			keys, vals, err := mapTensors(m)
			if err != nil {
				return nil, fmt.Errorf("sequence element %d: %w", i, err)
			}
			if keys0 == nil {
				keys0 = keys
			} else if !sameKeys(keys0, keys) {
				return nil, fmt.Errorf("the maps of the sequence have different keys (element 0 and %d); use RunValues", i)
			}
			rows[i] = vals
		}
		return stack(rows)
	}
	return tensorOf(v)
}

// sameKeys reports whether two key tensors are equal.
func sameKeys(a, b *tensor.Tensor) bool {
	if a.DType() != b.DType() || a.Len() != b.Len() {
		return false
	}
	switch x := a.Data().(type) {
	case []string:
		return slices.Equal(x, tensor.Data[string](b))
	case []int64:
		return slices.Equal(x, tensor.Data[int64](b))
	}
	return fmt.Sprint(a.Data()) == fmt.Sprint(b.Data())
}

// emptyStack is the [0, ...] tensor standing for an empty sequence.
func emptyStack(p port) (*tensor.Tensor, error) {
	if p.info.DType == tensor.Invalid {
		return nil, fmt.Errorf("output %q is an empty sequence of undeclared type", p.info.Name)
	}
	shape := []int{0}
	if len(p.info.Shape) > 1 {
		for _, d := range p.info.Shape[1:] {
			shape = append(shape, max(d, 0))
		}
	}
	return tensor.New(p.info.DType, shape...), nil
}

// stack joins tensors of one type and shape along a new first dimension.
func stack(rows []*tensor.Tensor) (*tensor.Tensor, error) {
	first := rows[0]
	for i, r := range rows[1:] {
		if r.DType() != first.DType() || !slices.Equal(r.Shape(), first.Shape()) {
			return nil, fmt.Errorf("sequence elements 0 and %d differ (%v and %v) and cannot be stacked; use RunValues", i+1, first, r)
		}
	}
	return concat(rows, append([]int{len(rows)}, first.Shape()...))
}
