package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Element movement by flat index, for the gather and scatter operators:
// the indices are resolved to flat offsets first, then one generic loop per
// element size moves the data.

// take sets dst[i] = src[idx[i]] for tensors of one element type.
func take(dst, src *tensor.Tensor, idx []int) { takeLoops.run(dst, src, idx) }

var takeLoops = loopsOf[[]int](takeT, takeT, takeT, takeT, takeT)

func takeT[T any](dst, src []T, idx []int) {
	for i, j := range idx {
		dst[i] = src[j]
	}
}

// takeBlocks copies, for each i, the block of n elements of src starting at
// idx[i] to position i·n of dst.
func takeBlocks(dst, src *tensor.Tensor, idx []int, n int) {
	takeBlockLoops.run(dst, src, blockIndex{idx, n})
}

// blockIndex is the offsets of blocks of n elements.
type blockIndex struct {
	idx []int
	n   int
}

var (
	takeBlockLoops = loopsOf[blockIndex](blocksByIndex, blocksByIndex, blocksByIndex, blocksByIndex, blocksByIndex)
	putLoops       = loopsOf[blockIndex](putT, putT, putT, putT, putT)
)

func blocksByIndex[T any](dst, src []T, b blockIndex) {
	idx, n := b.idx, b.n
	for i, j := range idx {
		copy(dst[i*n:(i+1)*n], src[j:j+n])
	}
}

// scatterReduction is how scattered updates combine with the data.
type scatterReduction string

// parseReduction reads the reduction attribute of ScatterElements and
// ScatterND.
func parseReduction(b *buildCtx) (scatterReduction, error) {
	r, err := b.stringAttr("reduction", "none")
	if err != nil {
		return "", err
	}
	switch r {
	case "none", "add", "mul", "max", "min":
		return scatterReduction(r), nil
	}
	return "", b.errorf("unsupported reduction %q (want none, add, mul, max or min)", r)
}

// put writes block i of n elements of upd to dst at offset idx[i],
// combining by red.
func put(dst, upd *tensor.Tensor, idx []int, n int, red scatterReduction) error {
	if red == "none" {
		putLoops.run(dst, upd, blockIndex{idx, n})
		return nil
	}
	switch u := upd.Data().(type) {
	case []float32:
		putReduce(tensor.Data[float32](dst), u, idx, n, red)
	case []float64:
		putReduce(tensor.Data[float64](dst), u, idx, n, red)
	case []int32:
		putReduce(tensor.Data[int32](dst), u, idx, n, red)
	case []int64:
		putReduce(tensor.Data[int64](dst), u, idx, n, red)
	case []uint8:
		putReduce(tensor.Data[uint8](dst), u, idx, n, red)
	case []int8:
		putReduce(tensor.Data[int8](dst), u, idx, n, red)
	default:
		return fmt.Errorf("reduction %s does not support element type %v", red, upd.DType())
	}
	return nil
}

func putT[T any](dst, upd []T, b blockIndex) {
	idx, n := b.idx, b.n
	for i, j := range idx {
		copy(dst[j:j+n], upd[i*n:(i+1)*n])
	}
}

func putReduce[T numeric](dst, upd []T, idx []int, n int, red scatterReduction) {
	for i, j := range idx {
		d, u := dst[j:j+n], upd[i*n:(i+1)*n]
		for k := range d {
			switch red {
			case "add":
				d[k] += u[k]
			case "mul":
				d[k] *= u[k]
			case "max":
				d[k] = max(d[k], u[k])
			case "min":
				d[k] = min(d[k], u[k])
			}
		}
	}
}

// normIndex resolves a possibly negative index against dim.
func normIndex(v, dim int) (int, error) {
	if v < -dim || v >= dim {
		return 0, fmt.Errorf("index %d out of range [%d, %d)", v, -dim, dim)
	}
	if v < 0 {
		v += dim
	}
	return v, nil
}
