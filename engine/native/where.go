package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Where selects elementwise from X where the condition holds and from Y
// elsewhere, broadcasting all three.

func init() { registerSince("Where", 9, buildWhere) }

func buildWhere(b *buildCtx) (kernel, error) {
	for i := range 3 {
		if !b.hasInput(i) {
			return nil, b.errorf("Where needs inputs condition, X and Y")
		}
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		c, x, y := in[0], in[1], in[2]
		if c.DType() != tensor.Bool {
			return fmt.Errorf("Where condition must be bool, got %v", c.DType())
		}
		if err := sameDType("Where", x, y); err != nil {
			return err
		}
		shape, err := broadcastShapes(c.Shape(), x.Shape(), y.Shape())
		if err != nil {
			return fmt.Errorf("Where: %w", err)
		}
		o := rc.alloc(x.DType(), shape)
		cd := tensor.Data[bool](c)
		switch wordKind(x) {
		case 1:
			whereT(wordsAs[uint8](o), cd, wordsAs[uint8](x), wordsAs[uint8](y), shape, c.Shape(), x.Shape(), y.Shape())
		case 2:
			whereT(wordsAs[uint16](o), cd, wordsAs[uint16](x), wordsAs[uint16](y), shape, c.Shape(), x.Shape(), y.Shape())
		case 4:
			whereT(wordsAs[uint32](o), cd, wordsAs[uint32](x), wordsAs[uint32](y), shape, c.Shape(), x.Shape(), y.Shape())
		case 8:
			whereT(wordsAs[uint64](o), cd, wordsAs[uint64](x), wordsAs[uint64](y), shape, c.Shape(), x.Shape(), y.Shape())
		case 0:
			whereT(wordsAs[string](o), cd, wordsAs[string](x), wordsAs[string](y), shape, c.Shape(), x.Shape(), y.Shape())
		default:
			return dtypeError("Where", x.DType())
		}
		out[0] = o
		return nil
	}), nil
}

func whereT[T any](dst []T, c []bool, x, y []T, shape, cs, xs, ys []int) {
	if len(dst) == 0 {
		return
	}
	l := newBcastLayout(shape, cs, xs, ys)
	n, runs := l.inner()
	sc, sx, sy := l.innerStride(0), l.innerStride(1), l.innerStride(2)
	for r := range runs {
		d := dst[r*n : r*n+n]
		oc, ox, oy := l.offset(0, r), l.offset(1, r), l.offset(2, r)
		for i := range d {
			if c[oc+i*sc] {
				d[i] = x[ox+i*sx]
			} else {
				d[i] = y[oy+i*sy]
			}
		}
	}
}
