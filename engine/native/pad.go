package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Pad in constant, reflect and edge modes; negative pads crop. Before
// opset 11 the pads and the constant are attributes; from 11 they are
// inputs.

func init() { register("Pad", buildPad) }

type padKernel struct {
	mode      string
	attrPads  []int64
	attrValue float32
}

func buildPad(b *buildCtx) (kernel, error) {
	k := &padKernel{}
	var err error
	if k.mode, err = b.stringAttr("mode", "constant"); err != nil {
		return nil, err
	}
	switch k.mode {
	case "constant", "reflect", "edge":
	default:
		return nil, b.errorf("unsupported mode %q (want constant, reflect or edge)", k.mode)
	}
	if b.opset < 11 {
		if k.attrPads, err = b.intsAttr("pads"); err != nil {
			return nil, err
		}
		if k.attrPads == nil {
			return nil, b.errorf("attribute pads is required")
		}
		if k.attrValue, err = b.floatAttr("value", 0); err != nil {
			return nil, err
		}
	} else if !b.hasInput(1) {
		return nil, b.errorf("Pad needs a pads input")
	}
	return k, nil
}

func (k *padKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	xs := x.Shape()
	pads := k.attrPads
	// The fill value as a one-element tensor of x's type.
	value := tensor.New(x.DType(), 1)
	if k.attrPads == nil {
		var err error
		if pads, err = int64sOf(in[1]); err != nil {
			return fmt.Errorf("Pad pads: %w", err)
		}
		if len(in) > 2 && in[2] != nil {
			if in[2].DType() != x.DType() || in[2].Len() != 1 {
				return fmt.Errorf("Pad constant_value must be one %v value, got %v", x.DType(), in[2])
			}
			value = in[2]
		}
	} else if x.DType() != tensor.String {
		castSlice(value.Data(), []float32{k.attrValue})
	}
	if len(pads) != 2*len(xs) {
		return fmt.Errorf("Pad has %d pads for rank %d", len(pads), len(xs))
	}
	shape := make([]int, len(xs))
	for a, dim := range xs {
		begin, end := int(pads[a]), int(pads[len(xs)+a])
		shape[a] = dim + begin + end
		if shape[a] < 0 {
			return fmt.Errorf("Pad pads %v remove more than dimension %d of shape %v", pads, a, xs)
		}
		if k.mode == "reflect" && (begin >= dim || end >= dim) && (begin > 0 || end > 0) {
			return fmt.Errorf("Pad reflect pads %v must be smaller than dimension %d of shape %v", pads, a, xs)
		}
		if k.mode == "edge" && dim == 0 && shape[a] > 0 {
			return fmt.Errorf("Pad edge cannot pad the empty dimension %d of shape %v", a, xs)
		}
	}
	if err := tensor.CheckShape(shape); err != nil {
		return fmt.Errorf("Pad output: %w", err)
	}
	// The output first: alloc checks its size against the run's limit
	// before the index maps below, as large as its dimensions, are made.
	y := rc.alloc(x.DType(), shape)
	if y.Len() == 0 {
		out[0] = y
		return nil
	}
	// maps[a][o] is the input index along axis a feeding output index o,
	// or -1 for the fill value.
	maps := make([][]int, len(xs))
	for a, dim := range xs {
		maps[a] = make([]int, shape[a])
		for o := range maps[a] {
			maps[a][o] = padSource(o-int(pads[a]), dim, k.mode)
		}
	}
	switch wordKind(x) {
	case 1:
		padT(wordsAs[uint8](y), wordsAs[uint8](x), wordsAs[uint8](value)[0], xs, shape, maps)
	case 2:
		padT(wordsAs[uint16](y), wordsAs[uint16](x), wordsAs[uint16](value)[0], xs, shape, maps)
	case 4:
		padT(wordsAs[uint32](y), wordsAs[uint32](x), wordsAs[uint32](value)[0], xs, shape, maps)
	case 8:
		padT(wordsAs[uint64](y), wordsAs[uint64](x), wordsAs[uint64](value)[0], xs, shape, maps)
	case 0:
		padT(wordsAs[string](y), wordsAs[string](x), wordsAs[string](value)[0], xs, shape, maps)
	}
	out[0] = y
	return nil
}

// padSource maps input index i (possibly outside [0, dim)) to the index
// it reads under mode, or -1 for the fill value.
func padSource(i, dim int, mode string) int {
	if i >= 0 && i < dim {
		return i
	}
	switch mode {
	case "edge":
		return min(max(i, 0), dim-1)
	case "reflect":
		if dim == 1 {
			return 0
		}
		for i < 0 || i >= dim {
			if i < 0 {
				i = -i
			} else {
				i = 2*(dim-1) - i
			}
		}
		return i
	}
	return -1
}

func padT[T any](dst, src []T, fill T, in, out []int, maps [][]int) {
	if len(dst) == 0 {
		return
	}
	if len(out) == 0 {
		dst[0] = src[0]
		return
	}
	strides := tensor.Strides(in)
	last := len(out) - 1
	n := out[last]
	idx := make([]int, last)
	for r := 0; r*n < len(dst); r++ {
		// Offset of the run's outer index, or -1 if it lies in padding.
		off := 0
		for a := range last {
			s := maps[a][idx[a]]
			if s < 0 {
				off = -1
				break
			}
			off += s * strides[a]
		}
		row := dst[r*n : (r+1)*n]
		for o, s := range maps[last] {
			if off < 0 || s < 0 {
				row[o] = fill
			} else {
				row[o] = src[off+s]
			}
		}
		for a := last - 1; a >= 0; a-- {
			if idx[a]++; idx[a] < out[a] {
				break
			}
			idx[a] = 0
		}
	}
}
