package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Transpose permutes dimensions (default: reverse them).

func init() { register("Transpose", buildTranspose) }

func buildTranspose(b *buildCtx) (kernel, error) {
	perm, err := b.intsAttr("perm")
	if err != nil {
		return nil, err
	}
	if perm != nil {
		if err := checkPerm(perm, len(perm)); err != nil {
			return nil, b.errorf("%v", err)
		}
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		p := perm
		if p == nil {
			p = make([]int64, x.Rank())
			for i := range p {
				p[i] = int64(x.Rank() - 1 - i)
			}
		}
		if err := checkPerm(p, x.Rank()); err != nil {
			return err
		}
		xs := x.Shape()
		// Small ranks use arrays on the stack (alloc keeps no shape).
		var buf [3][8]int
		strides, shape, inStrides := buf[0][:0], buf[1][:0], buf[2][:0]
		if len(p) > len(buf[0]) {
			strides, shape, inStrides = nil, nil, nil
		}
		strides = append(strides, xs...)
		for i, st := len(xs)-1, 1; i >= 0; i-- {
			strides[i] = st
			st *= xs[i]
		}
		for _, a := range p {
			shape, inStrides = append(shape, xs[a]), append(inStrides, strides[a])
		}
		y := rc.alloc(x.DType(), shape)
		copyStrided(rc, y, x, 0, inStrides)
		out[0] = y
		return nil
	}), nil
}

func checkPerm(perm []int64, rank int) error {
	if len(perm) != rank {
		return fmt.Errorf("perm %v does not fit rank %d", perm, rank)
	}
	seen := make([]bool, rank)
	for _, a := range perm {
		if a < 0 || a >= int64(rank) || seen[a] {
			return fmt.Errorf("perm %v is not a permutation", perm)
		}
		seen[a] = true
	}
	return nil
}
