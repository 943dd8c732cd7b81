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
			// The default, reversing the axes, is valid for every rank.
			var pb [8]int64
			p = pb[:0]
			for i := x.Rank() - 1; i >= 0; i-- {
				p = append(p, int64(i))
			}
		} else if err := checkPerm(perm, x.Rank()); err != nil {
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
	if !isPermutation(perm) {
		return fmt.Errorf("perm %v is not a permutation", perm)
	}
	return nil
}

// isPermutation reports whether perm holds each of 0..len(perm)-1 once,
// without allocating for ranks up to 64.
func isPermutation(perm []int64) bool {
	n := int64(len(perm))
	if n > 64 {
		seen := make([]bool, n)
		for _, a := range perm {
			if a < 0 || a >= n || seen[a] {
				return false
			}
			seen[a] = true
		}
		return true
	}
	var seen uint64
	for _, a := range perm {
		if a < 0 || a >= n || seen&(1<<a) != 0 {
			return false
		}
		seen |= 1 << a
	}
	return true
}
