package native

import (
	"fmt"
	"slices"

	"github.com/inferd/inferd/tensor"
)

// GatherElements, ScatterElements (and its opset 9-10 name Scatter),
// GatherND and ScatterND.

func init() {
	registerSince("GatherElements", 11, buildGatherElements)
	registerSince("ScatterElements", 11, buildScatterElements)
	registerDef("", "Scatter", opDef{minVersion: 9, maxVersion: 10, build: buildScatterElements})
	registerSince("GatherND", 11, buildGatherND)
	registerSince("ScatterND", 11, buildScatterND)
}

// elementOffsets returns, for every element of indices (shape is), the flat
// offset into a tensor of shape ds of the element at the same position
// with the axis coordinate replaced by the index.
func elementOffsets(indices *tensor.Tensor, ds []int, axis int) ([]int, error) {
	is := indices.Shape()
	if len(is) != len(ds) {
		return nil, fmt.Errorf("indices of shape %v and data of shape %v differ in rank", is, ds)
	}
	idx, err := intsOf(indices)
	if err != nil {
		return nil, fmt.Errorf("indices: %w", err)
	}
	strides := tensor.Strides(ds)
	pos := make([]int, len(is))
	for i, v := range idx {
		k, err := normIndex(v, ds[axis])
		if err != nil {
			return nil, err
		}
		off := 0
		for d := range pos {
			c := pos[d]
			if d == axis {
				c = k
			} else if c >= ds[d] {
				return nil, fmt.Errorf("indices of shape %v exceed data of shape %v", is, ds)
			}
			off += c * strides[d]
		}
		idx[i] = off
		nextIndex(pos, is)
	}
	return idx, nil
}

func buildGatherElements(b *buildCtx) (kernel, error) {
	axis, err := b.intAttr("axis", 0)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		data, indices := in[0], in[1]
		a, ok := normAxis(axis, data.Rank())
		if !ok {
			return fmt.Errorf("GatherElements axis %d out of range for shape %v", axis, data.Shape())
		}
		offs, err := elementOffsets(indices, data.Shape(), a)
		if err != nil {
			return fmt.Errorf("GatherElements: %w", err)
		}
		y := rc.alloc(data.DType(), indices.Shape())
		take(y, data, offs)
		out[0] = y
		return nil
	}), nil
}

func buildScatterElements(b *buildCtx) (kernel, error) {
	axis, err := b.intAttr("axis", 0)
	if err != nil {
		return nil, err
	}
	red, err := parseReduction(b)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		data, indices, upd := in[0], in[1], in[2]
		if err := sameDType("ScatterElements", data, upd); err != nil {
			return err
		}
		if !slices.Equal(indices.Shape(), upd.Shape()) {
			return fmt.Errorf("ScatterElements indices of shape %v and updates of shape %v differ", indices.Shape(), upd.Shape())
		}
		a, ok := normAxis(axis, data.Rank())
		if !ok {
			return fmt.Errorf("ScatterElements axis %d out of range for shape %v", axis, data.Shape())
		}
		offs, err := elementOffsets(indices, data.Shape(), a)
		if err != nil {
			return fmt.Errorf("ScatterElements: %w", err)
		}
		y := data.Clone()
		if err := put(y, upd, offs, 1, red); err != nil {
			return fmt.Errorf("ScatterElements: %w", err)
		}
		out[0] = y
		return nil
	}), nil
}

// ndOffsets resolves the index tuples of GatherND and ScatterND: indices
// of shape [..., k] address slices of data (shape ds) past batchDims
// leading batch axes. It returns the flat offset of each addressed slice,
// the slice size and the number of tuples.
func ndOffsets(indices *tensor.Tensor, ds []int, batchDims int) (offs []int, slice int, err error) {
	is := indices.Shape()
	if len(is) < 1 || batchDims >= len(is) || batchDims > len(ds) {
		return nil, 0, fmt.Errorf("indices of shape %v do not fit data of shape %v with batch_dims %d", is, ds, batchDims)
	}
	k := is[len(is)-1]
	if batchDims+k > len(ds) {
		return nil, 0, fmt.Errorf("index tuples of length %d exceed data of shape %v", k, ds)
	}
	for i := range batchDims {
		if is[i] != ds[i] {
			return nil, 0, fmt.Errorf("batch dimensions of indices %v and data %v differ", is, ds)
		}
	}
	idx, err := intsOf(indices)
	if err != nil {
		return nil, 0, fmt.Errorf("indices: %w", err)
	}
	strides := tensor.Strides(ds)
	slice = tensor.NumElements(ds[batchDims+k:])
	batch := tensor.NumElements(is[:batchDims])
	per := tensor.NumElements(is[batchDims : len(is)-1]) // tuples per batch
	batchStride := tensor.NumElements(ds[batchDims:])
	offs = make([]int, batch*per)
	for t := range offs {
		off := (t / max(per, 1)) * batchStride
		for j := range k {
			v, err := normIndex(idx[t*k+j], ds[batchDims+j])
			if err != nil {
				return nil, 0, err
			}
			off += v * strides[batchDims+j]
		}
		offs[t] = off
	}
	return offs, slice, nil
}

func buildGatherND(b *buildCtx) (kernel, error) {
	bd, err := b.intAttr("batch_dims", 0)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		data, indices := in[0], in[1]
		offs, slice, err := ndOffsets(indices, data.Shape(), int(bd))
		if err != nil {
			return fmt.Errorf("GatherND: %w", err)
		}
		is := indices.Shape()
		k := is[len(is)-1]
		shape := append(append([]int(nil), is[:len(is)-1]...), data.Shape()[int(bd)+k:]...)
		y := rc.alloc(data.DType(), shape)
		takeBlocks(y, data, offs, slice)
		out[0] = y
		return nil
	}), nil
}

func buildScatterND(b *buildCtx) (kernel, error) {
	red, err := parseReduction(b)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		data, indices, upd := in[0], in[1], in[2]
		if err := sameDType("ScatterND", data, upd); err != nil {
			return err
		}
		offs, slice, err := ndOffsets(indices, data.Shape(), 0)
		if err != nil {
			return fmt.Errorf("ScatterND: %w", err)
		}
		if upd.Len() != len(offs)*slice {
			return fmt.Errorf("ScatterND updates of shape %v do not match indices %v and data %v", upd.Shape(), indices.Shape(), data.Shape())
		}
		y := data.Clone()
		if err := put(y, upd, offs, slice, red); err != nil {
			return fmt.Errorf("ScatterND: %w", err)
		}
		out[0] = y
		return nil
	}), nil
}
