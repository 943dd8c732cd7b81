package native

import (
	"slices"

	"github.com/inferd/inferd/tensor"
)

// copyStrided fills dst (row-major, of its shape) from src, where dst's
// element at index (i0, i1, ...) is src's element at base + Σ ik·strides[k].
// Strides may be zero or negative. It serves Transpose (permuted strides)
// and Slice (scaled strides, offset base).
func copyStrided(rc *runCtx, dst, src *tensor.Tensor, base int, strides []int) {
	shape := dst.Shape()
	switch wordKind(src) {
	case 1:
		stridedT(rc, wordsAs[uint8](dst), wordsAs[uint8](src), base, shape, strides)
	case 2:
		stridedT(rc, wordsAs[uint16](dst), wordsAs[uint16](src), base, shape, strides)
	case 4:
		stridedT(rc, wordsAs[uint32](dst), wordsAs[uint32](src), base, shape, strides)
	case 8:
		stridedT(rc, wordsAs[uint64](dst), wordsAs[uint64](src), base, shape, strides)
	case 0:
		stridedT(rc, wordsAs[string](dst), wordsAs[string](src), base, shape, strides)
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
	n := shape[len(shape)-1]
	runs := len(dst) / n
	grain := max(1, elemGrain/n)
	if rc.threads <= 1 || runs <= grain {
		// One range: no closure to allocate.
		stridedRange(dst, src, base, shape, strides, 0, runs)
		return
	}
	if fl := stridedBodiesOf[T](); fl != nil && len(shape) <= maxStridedRank {
		// A recycled body holding copies of shape and strides: nothing
		// allocated, and the callers' slices do not escape.
		b := fl.get()
		*b = stridedBody[T]{dst: dst, src: src, base: base, rank: len(shape)}
		copy(b.shape[:], shape)
		copy(b.strides[:], strides)
		parallelRange(rc.threads, runs, grain, b)
		*b = stridedBody[T]{}
		fl.put(b)
		return
	}
	// The closure gets copies, so that the callers' shape and stride
	// slices do not escape (they are often arrays on the stack): the
	// copies are new variables, since escape analysis does not follow
	// reassignments.
	sh, st := slices.Clone(shape), slices.Clone(strides)
	parallelFor(rc.threads, runs, grain, func(lo, hi int) {
		stridedRange(dst, src, base, sh, st, lo, hi)
	})
}

// maxStridedRank is the largest rank a stridedBody holds.
const maxStridedRank = 8

// stridedBody is the parallel region of stridedT, recycled per word type.
type stridedBody[T any] struct {
	dst, src       []T
	base, rank     int
	shape, strides [maxStridedRank]int
}

func (b *stridedBody[T]) do(lo, hi int) {
	stridedRange(b.dst, b.src, b.base, b.shape[:b.rank], b.strides[:b.rank], lo, hi)
}

var (
	stridedBodies1 freeList[stridedBody[uint8]]
	stridedBodies2 freeList[stridedBody[uint16]]
	stridedBodies4 freeList[stridedBody[uint32]]
	stridedBodies8 freeList[stridedBody[uint64]]
	stridedBodiesS freeList[stridedBody[string]]
)

// stridedBodiesOf returns the free list of stridedBody[T], nil for a word
// type copyStrided does not use.
func stridedBodiesOf[T any]() *freeList[stridedBody[T]] {
	var l any
	switch any(*new(T)).(type) {
	case uint8:
		l = &stridedBodies1
	case uint16:
		l = &stridedBodies2
	case uint32:
		l = &stridedBodies4
	case uint64:
		l = &stridedBodies8
	case string:
		l = &stridedBodiesS
	}
	fl, _ := l.(*freeList[stridedBody[T]])
	return fl
}

// stridedRange is stridedT over runs [lo, hi) of the last axis.
func stridedRange[T any](dst, src []T, base int, shape, strides []int, lo, hi int) {
	last := len(shape) - 1
	n, st := shape[last], strides[last]
	// Odometer over the outer axes, started at run lo.
	var ib [8]int
	idx := ib[:0]
	if last <= len(ib) {
		idx = ib[:last]
	} else {
		idx = make([]int, last)
	}
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
}
