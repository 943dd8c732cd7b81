package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// DepthToSpace (DCR and CRD modes) and SpaceToDepth: a reshape to 6-D, a
// transpose and a reshape back.

func init() {
	register("DepthToSpace", func(b *buildCtx) (kernel, error) { return buildDepthSpace(b, true) })
	register("SpaceToDepth", func(b *buildCtx) (kernel, error) { return buildDepthSpace(b, false) })
}

func buildDepthSpace(b *buildCtx, toSpace bool) (kernel, error) {
	bs, err := b.intAttr("blocksize", 0)
	if err != nil {
		return nil, err
	}
	if bs < 1 || bs > 1<<12 {
		return nil, b.errorf("attribute blocksize is %d, want a positive value", bs)
	}
	mode, err := b.stringAttr("mode", "DCR")
	if err != nil {
		return nil, err
	}
	if mode != "DCR" && mode != "CRD" {
		return nil, b.errorf("attribute mode is %q, want DCR or CRD", mode)
	}
	blk := int(bs)
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		if len(xs) != 4 {
			return fmt.Errorf("input must be 4-D, got shape %v", xs)
		}
		n, c, h, w := xs[0], xs[1], xs[2], xs[3]
		var six, perm, final []int
		switch {
		case toSpace && c%(blk*blk) != 0:
			return fmt.Errorf("DepthToSpace: %d channels are not divisible by blocksize² %d", c, blk*blk)
		case toSpace && mode == "DCR":
			six, perm = []int{n, blk, blk, c / (blk * blk), h, w}, []int{0, 3, 4, 1, 5, 2}
			final = []int{n, c / (blk * blk), h * blk, w * blk}
		case toSpace:
			six, perm = []int{n, c / (blk * blk), blk, blk, h, w}, []int{0, 1, 4, 2, 5, 3}
			final = []int{n, c / (blk * blk), h * blk, w * blk}
		case h%blk != 0 || w%blk != 0:
			return fmt.Errorf("SpaceToDepth: spatial size %dx%d is not divisible by blocksize %d", h, w, blk)
		default:
			six, perm = []int{n, c, h / blk, blk, w / blk, blk}, []int{0, 3, 5, 1, 2, 4}
			final = []int{n, c * blk * blk, h / blk, w / blk}
		}
		y, err := permuted(rc, x, six, perm)
		if err != nil {
			return err
		}
		out[0], err = y.Reshape(final...)
		return err
	}), nil
}

// permuted returns x viewed with shape and transposed by perm.
func permuted(rc *runCtx, x *tensor.Tensor, shape, perm []int) (*tensor.Tensor, error) {
	v, err := x.Reshape(shape...)
	if err != nil {
		return nil, err
	}
	st := tensor.Strides(shape)
	outShape := make([]int, len(perm))
	strides := make([]int, len(perm))
	for i, p := range perm {
		outShape[i], strides[i] = shape[p], st[p]
	}
	y := rc.alloc(x.DType(), outShape)
	copyStrided(rc, y, v, 0, strides)
	return y, nil
}
