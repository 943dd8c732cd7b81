//go:build ort

package ort

import (
	"fmt"
	"unsafe"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// arena collects the ONNX Runtime values made for one run so that they are
// all released after it, on success and on error alike.
type arena []ortgo.Value

func (a *arena) add(v ortgo.Value) ortgo.Value {
	*a = append(*a, v)
	return v
}

func (a *arena) release() {
	for _, v := range *a {
		if v != nil {
			v.Destroy()
		}
	}
	*a = nil
}

// tensorValue makes an ONNX Runtime tensor of t. Numeric data is shared,
// not copied: t must not change until the value is released.
func (a *arena) tensorValue(t *tensor.Tensor) (ortgo.Value, error) {
	v, err := newTensorValue(t)
	if err != nil {
		return nil, err
	}
	return a.add(v), nil
}

func newTensorValue(t *tensor.Tensor) (ortgo.Value, error) {
	shape := make(ortgo.Shape, t.Rank())
	for i, d := range t.Shape() {
		shape[i] = int64(d)
	}
	switch d := t.Data().(type) {
	case []bool:
		return numeric(shape, d)
	case []uint8:
		return numeric(shape, d)
	case []uint16:
		if t.DType() == tensor.Float16 {
			return float16Value(shape, d)
		}
		return numeric(shape, d)
	case []uint32:
		return numeric(shape, d)
	case []uint64:
		return numeric(shape, d)
	case []int8:
		return numeric(shape, d)
	case []int16:
		return numeric(shape, d)
	case []int32:
		return numeric(shape, d)
	case []int64:
		return numeric(shape, d)
	case []float32:
		return numeric(shape, d)
	case []float64:
		return numeric(shape, d)
	case []string:
		if len(shape) == 0 {
			return nil, fmt.Errorf("%w: onnxruntime_go cannot make a rank-0 BYTES tensor; give a shape such as [1]", engine.ErrInvalidInput)
		}
		st, err := ortgo.NewStringTensor(shape)
		if err != nil {
			return nil, err
		}
		if err := st.SetContents(d); err != nil {
			st.Destroy()
			return nil, err
		}
		return st, nil
	}
	return nil, fmt.Errorf("%w: tensor of datatype %v", engine.ErrInvalidInput, t.DType())
}

// numeric wraps data as a tensor without copying it (a scalar's one element
// is copied).
func numeric[T ortgo.TensorData](shape ortgo.Shape, data []T) (ortgo.Value, error) {
	if len(shape) == 0 {
		return ortgo.NewScalar(data[0])
	}
	return ortgo.NewTensor(shape, data)
}

// float16Value wraps half-precision bits as an FP16 tensor, sharing them.
func float16Value(shape ortgo.Shape, bits []uint16) (ortgo.Value, error) {
	if len(shape) == 0 || len(bits) == 0 {
		return nil, fmt.Errorf("%w: onnxruntime_go cannot make a rank-0 or empty FP16 tensor", engine.ErrInvalidInput)
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(bits))), 2*len(bits))
	return ortgo.NewCustomDataTensor(shape, raw, ortgo.TensorElementDataTypeFloat16)
}

// value makes an ONNX Runtime value of an ONNX value: tensors, sequences
// (of tensors or maps) and maps with tensor keys and scalar values. An
// optional is passed as its content.
func (a *arena) value(v *onnx.Value) (ortgo.Value, error) {
	if v == nil {
		return nil, fmt.Errorf("%w: nil value", engine.ErrInvalidInput)
	}
	switch v.Kind {
	case onnx.KindTensor:
		if v.Tensor == nil {
			return nil, fmt.Errorf("%w: tensor value without a tensor", engine.ErrInvalidInput)
		}
		return a.tensorValue(v.Tensor)
	case onnx.KindSequence:
		if len(v.Elems) == 0 {
			return nil, fmt.Errorf("%w: onnxruntime_go cannot make an empty sequence", engine.ErrInvalidInput)
		}
		elems := make([]ortgo.Value, len(v.Elems))
		for i, e := range v.Elems {
			ev, err := a.value(e)
			if err != nil {
				return nil, fmt.Errorf("sequence element %d: %w", i, err)
			}
			elems[i] = ev
		}
		seq, err := ortgo.NewSequence(elems)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", engine.ErrInvalidInput, err)
		}
		return a.add(seq), nil
	case onnx.KindMap:
		return a.mapValue(v)
	case onnx.KindOptional:
		if v.Elem == nil {
			return nil, fmt.Errorf("%w: onnxruntime_go cannot pass an empty optional", engine.ErrInvalidInput)
		}
		return a.value(v.Elem)
	}
	return nil, fmt.Errorf("%w: cannot pass a value of kind %s", engine.ErrInvalidInput, v.Kind)
}

// mapValue makes an ONNX Runtime map from keys and one scalar tensor per
// value.
func (a *arena) mapValue(v *onnx.Value) (ortgo.Value, error) {
	if v.Keys == nil {
		return nil, fmt.Errorf("%w: map without keys", engine.ErrInvalidInput)
	}
	vals := make([]*tensor.Tensor, len(v.Elems))
	for i, e := range v.Elems {
		if e == nil || e.Kind != onnx.KindTensor || e.Tensor == nil || e.Tensor.Len() != 1 {
			return nil, fmt.Errorf("%w: map value %d is not a one-element tensor", engine.ErrInvalidInput, i)
		}
		vals[i] = e.Tensor
	}
	values, err := concat(vals, []int{len(vals)})
	if err != nil {
		return nil, fmt.Errorf("%w: map values: %w", engine.ErrInvalidInput, err)
	}
	keys, err := a.tensorValue(v.Keys)
	if err != nil {
		return nil, err
	}
	vv, err := a.tensorValue(values)
	if err != nil {
		return nil, err
	}
	m, err := ortgo.NewMap(keys, vv)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", engine.ErrInvalidInput, err)
	}
	return a.add(m), nil
}
