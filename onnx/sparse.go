package onnx

import (
	"fmt"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
)

// sparse densifies a SparseTensorProto. Its values are a 1-D tensor of NNZ
// elements; its indices either a [NNZ] tensor of linear positions or a
// [NNZ, rank] tensor of coordinates (INT64, or INT32 as some exporters
// write). Errors name the tensor (the name of its values).
func (d *decoder) sparse(sp *onnxpb.SparseTensorProto) (*tensor.Tensor, error) {
	if sp == nil {
		return nil, fmt.Errorf("missing sparse tensor")
	}
	t, err := d.sparseData(sp)
	if err != nil {
		return nil, fmt.Errorf("sparse tensor %s: %w", tensorLabel(sp.GetValues().GetName()), err)
	}
	return t, nil
}

// sparseData is sparse without the tensor's name in errors: the values,
// the dense size charged to the decoder's budget, the indices, then the
// values scattered into the dense tensor.
func (d *decoder) sparseData(sp *onnxpb.SparseTensorProto) (*tensor.Tensor, error) {
	shape, err := shapeOf(sp.GetDims())
	if err != nil {
		return nil, err
	}
	if sp.GetValues() == nil || sp.GetIndices() == nil {
		return nil, fmt.Errorf("values and indices are required")
	}
	values, err := d.tensor(sp.GetValues())
	if err != nil {
		return nil, err
	}
	if values.Rank() != 1 {
		return nil, fmt.Errorf("values must be 1-D, got shape %v", values.Shape())
	}
	if err := d.chargeDense(shape, values.DType()); err != nil {
		return nil, err
	}
	indices, err := d.tensor(sp.GetIndices())
	if err != nil {
		return nil, err
	}
	pos, err := linearIndices(indices, values.Len(), shape)
	if err != nil {
		return nil, err
	}
	return scatterValues(values, shape, pos)
}

// chargeDense refuses a dense tensor of shape and dt larger than the
// sparse limit, and charges its bytes (16 a string) to the budget.
func (d *decoder) chargeDense(shape []int, dt tensor.DType) error {
	n := tensor.NumElements(shape)
	elemSize := int64(dt.Size())
	if dt == tensor.String {
		elemSize = 16
	}
	if bytes := int64(n) * elemSize; bytes > d.opts.maxSparseBytes {
		return fmt.Errorf("dense shape %v of %v needs %d bytes, more than the limit of %d", shape, dt, bytes, d.opts.maxSparseBytes)
	}
	return d.charge(int64(n) * elemSize)
}

// scatterValues returns the dense tensor of shape with values at the
// linear positions pos and zeros elsewhere.
func scatterValues(values *tensor.Tensor, shape []int, pos []int) (*tensor.Tensor, error) {
	dense := tensor.New(values.DType(), shape...)
	switch v := values.Data().(type) {
	case []bool:
		scatter(dense, v, pos)
	case []uint8:
		scatter(dense, v, pos)
	case []uint16:
		scatter(dense, v, pos)
	case []uint32:
		scatter(dense, v, pos)
	case []uint64:
		scatter(dense, v, pos)
	case []int8:
		scatter(dense, v, pos)
	case []int16:
		scatter(dense, v, pos)
	case []int32:
		scatter(dense, v, pos)
	case []int64:
		scatter(dense, v, pos)
	case []float32:
		scatter(dense, v, pos)
	case []float64:
		scatter(dense, v, pos)
	case []string:
		scatter(dense, v, pos)
	default:
		return nil, fmt.Errorf("unsupported values type %v", values.DType())
	}
	return dense, nil
}

func scatter[T tensor.Elem](dense *tensor.Tensor, values []T, pos []int) {
	out := tensor.Data[T](dense)
	for i, p := range pos {
		out[p] = values[i]
	}
}

// linearIndices turns the indices tensor into nnz positions in the dense
// row-major layout of shape, checking every one is in range.
func linearIndices(indices *tensor.Tensor, nnz int, shape []int) ([]int, error) {
	var idx []int64
	switch indices.DType() {
	case tensor.Int64:
		idx = tensor.Data[int64](indices)
	case tensor.Int32:
		idx = castAll[int64](tensor.Data[int32](indices))
	default:
		return nil, fmt.Errorf("indices must be INT64, got %v", indices.DType())
	}
	n := tensor.NumElements(shape)
	pos := make([]int, nnz)
	switch {
	case indices.Rank() == 1 && indices.Shape()[0] == nnz:
		for i, v := range idx {
			if v < 0 || v >= int64(n) {
				return nil, fmt.Errorf("index %d out of range for dense shape %v", v, shape)
			}
			pos[i] = int(v)
		}
	case indices.Rank() == 2 && indices.Shape()[0] == nnz && indices.Shape()[1] == len(shape):
		strides := tensor.Strides(shape)
		r := len(shape)
		for i := range nnz {
			p := 0
			for j, v := range idx[i*r : (i+1)*r] {
				if v < 0 || v >= int64(shape[j]) {
					return nil, fmt.Errorf("index %v out of range for dense shape %v", idx[i*r:(i+1)*r], shape)
				}
				p += int(v) * strides[j]
			}
			pos[i] = p
		}
	default:
		return nil, fmt.Errorf("indices shape %v does not fit %d values of a rank-%d tensor", indices.Shape(), nnz, len(shape))
	}
	return pos, nil
}
