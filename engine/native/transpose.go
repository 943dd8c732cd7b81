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
		strides := tensor.Strides(xs)
		shape := make([]int, len(p))
		inStrides := make([]int, len(p))
		for i, a := range p {
			shape[i], inStrides[i] = xs[a], strides[a]
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
