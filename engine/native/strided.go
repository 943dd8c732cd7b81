package native

import "github.com/inferd/inferd/tensor"

// copyStrided fills dst (row-major, of its shape) from src, where dst's
// element at index (i0, i1, ...) is src's element at base + Σ ik·strides[k].
// Strides may be zero or negative. It serves Transpose (permuted strides)
// and Slice (scaled strides, offset base).
func copyStrided(rc *runCtx, dst, src *tensor.Tensor, base int, strides []int) {
	shape := dst.Shape()
	switch s := words(src).(type) {
	case []uint8:
		stridedT(rc, words(dst).([]uint8), s, base, shape, strides)
	case []uint16:
		stridedT(rc, words(dst).([]uint16), s, base, shape, strides)
	case []uint32:
		stridedT(rc, words(dst).([]uint32), s, base, shape, strides)
	case []uint64:
		stridedT(rc, words(dst).([]uint64), s, base, shape, strides)
	case []string:
		stridedT(rc, words(dst).([]string), s, base, shape, strides)
	}
}

func stridedT[T any](rc *runCtx, dst, src []T, base int, shape, strides []int) {
	if len(dst) == 0 {
		return
	}
	if len(shape) == 0 {
		dst[0] = src[base]
		return
	}
	last := len(shape) - 1
	n, st := shape[last], strides[last]
	runs := len(dst) / n
	parallelFor(rc.threads, runs, max(1, elemGrain/n), func(lo, hi int) {
		// Odometer over the outer axes, started at run lo.
		idx := make([]int, last)
		off := base
		for a, r := last-1, lo; a >= 0; a-- {
			idx[a] = r % shape[a]
			off += idx[a] * strides[a]
			r /= shape[a]
		}
		for r := lo; r < hi; r++ {
			d := dst[r*n : (r+1)*n]
			if st == 1 {
				copy(d, src[off:off+n])
			} else {
				o := off
				for i := range d {
					d[i] = src[o]
					o += st
				}
			}
			for a := last - 1; a >= 0; a-- {
				idx[a]++
				off += strides[a]
				if idx[a] < shape[a] {
					break
				}
				off -= strides[a] * shape[a]
				idx[a] = 0
			}
		}
	})
}
