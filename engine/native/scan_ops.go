package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// NonZero (the indices of non-zero elements, one row per axis), CumSum
// (with exclusive and reverse) and Trilu (the upper or lower triangle of
// the last two axes).

func init() {
	registerSince("NonZero", 9, func(b *buildCtx) (kernel, error) { return kernelFunc(runNonZero), nil })
	registerSince("CumSum", 11, buildCumSum)
	registerSince("Trilu", 14, buildTrilu)
}

func runNonZero(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	var nz []bool
	if x.DType() == tensor.Bool {
		nz = tensor.Data[bool](x)
	} else {
		if x.DType() == tensor.String {
			return dtypeError("NonZero", x.DType())
		}
		nz = make([]bool, x.Len())
		castSlice(nz, x.Data())
	}
	count := 0
	for _, v := range nz {
		if v {
			count++
		}
	}
	r := x.Rank()
	y := rc.alloc(tensor.Int64, []int{r, count})
	yd := tensor.Data[int64](y)
	strides := tensor.Strides(x.Shape())
	k := 0
	for i, v := range nz {
		if !v {
			continue
		}
		rem := i
		for a := range r {
			yd[a*count+k] = int64(rem / strides[a])
			rem %= strides[a]
		}
		k++
	}
	out[0] = y
	return nil
}

func buildCumSum(b *buildCtx) (kernel, error) {
	exclusive, err := b.boolAttr("exclusive", false)
	if err != nil {
		return nil, err
	}
	reverse, err := b.boolAttr("reverse", false)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		ax, err := int64sOf(in[1])
		if err != nil || len(ax) != 1 {
			return fmt.Errorf("CumSum axis must be one int32 or int64 value")
		}
		a, ok := normAxis(ax[0], x.Rank())
		if !ok {
			return fmt.Errorf("CumSum axis %d out of range for shape %v", ax[0], x.Shape())
		}
		xs := x.Shape()
		outer, dim, inner := tensor.NumElements(xs[:a]), xs[a], tensor.NumElements(xs[a+1:])
		y := rc.alloc(x.DType(), xs)
		switch d := x.Data().(type) {
		case []float32:
			cumSumT(tensor.Data[float32](y), d, outer, dim, inner, exclusive, reverse)
		case []float64:
			cumSumT(tensor.Data[float64](y), d, outer, dim, inner, exclusive, reverse)
		case []int32:
			cumSumT(tensor.Data[int32](y), d, outer, dim, inner, exclusive, reverse)
		case []int64:
			cumSumT(tensor.Data[int64](y), d, outer, dim, inner, exclusive, reverse)
		case []uint32:
			cumSumT(tensor.Data[uint32](y), d, outer, dim, inner, exclusive, reverse)
		case []uint64:
			cumSumT(tensor.Data[uint64](y), d, outer, dim, inner, exclusive, reverse)
		default:
			return dtypeError("CumSum", x.DType())
		}
		out[0] = y
		return nil
	}), nil
}

func cumSumT[T numeric](dst, src []T, outer, dim, inner int, exclusive, reverse bool) {
	for o := range outer {
		for i := range inner {
			var acc T
			for j := range dim {
				k := j
				if reverse {
					k = dim - 1 - j
				}
				idx := (o*dim+k)*inner + i
				if exclusive {
					dst[idx] = acc
					acc += src[idx]
				} else {
					acc += src[idx]
					dst[idx] = acc
				}
			}
		}
	}
}

func buildTrilu(b *buildCtx) (kernel, error) {
	upper, err := b.boolAttr("upper", true)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		if x.Rank() < 2 {
			return fmt.Errorf("Trilu input must have rank at least 2, got shape %v", x.Shape())
		}
		k := int64(0)
		if len(in) > 1 && in[1] != nil {
			v, err := int64sOf(in[1])
			if err != nil || len(v) != 1 {
				return fmt.Errorf("Trilu k must be one int64 value")
			}
			k = v[0]
		}
		xs := x.Shape()
		rows, cols := xs[len(xs)-2], xs[len(xs)-1]
		y := rc.alloc(x.DType(), xs)
		keep := func(i, j int) bool {
			if upper {
				return int64(j-i) >= k
			}
			return int64(j-i) <= k
		}
		switch wordKind(x) {
		case 1:
			triluT(wordsAs[uint8](y), wordsAs[uint8](x), rows, cols, keep)
		case 2:
			triluT(wordsAs[uint16](y), wordsAs[uint16](x), rows, cols, keep)
		case 4:
			triluT(wordsAs[uint32](y), wordsAs[uint32](x), rows, cols, keep)
		case 8:
			triluT(wordsAs[uint64](y), wordsAs[uint64](x), rows, cols, keep)
		default:
			return dtypeError("Trilu", x.DType())
		}
		out[0] = y
		return nil
	}), nil
}

func triluT[T any](dst, src []T, rows, cols int, keep func(i, j int) bool) {
	var zero T
	plane := rows * cols
	for p := 0; p < len(dst); p += plane {
		for i := range rows {
			for j := range cols {
				o := p + i*cols + j
				if keep(i, j) {
					dst[o] = src[o]
				} else {
					dst[o] = zero
				}
			}
		}
	}
}
