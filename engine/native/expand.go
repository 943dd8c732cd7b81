package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Expand broadcasts a tensor to a shape (bidirectionally: the result is the
// broadcast of both); Tile repeats it along every axis.

func init() {
	registerSince("Expand", 8, func(b *buildCtx) (kernel, error) { return kernelFunc(runExpand), nil })
	register("Tile", func(b *buildCtx) (kernel, error) {
		if b.opset < 6 {
			return nil, b.errorf("Tile before opset 6 (tiles and axis inputs) is not supported")
		}
		return kernelFunc(runTile), nil
	})
}

func runExpand(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	dims, err := int64sOf(in[1])
	if err != nil {
		return fmt.Errorf("Expand shape: %w", err)
	}
	target, err := dimsOf(dims)
	if err != nil {
		return fmt.Errorf("Expand: %w", err)
	}
	shape, err := broadcastShapes(x.Shape(), target)
	if err != nil {
		return fmt.Errorf("Expand: %w", err)
	}
	y := rc.alloc(x.DType(), shape)
	broadcastWords(y, x)
	out[0] = y
	return nil
}

// broadcastWords fills dst with src broadcast to dst's shape.
func broadcastWords(dst, src *tensor.Tensor) {
	ds, ss := dst.Shape(), src.Shape()
	switch wordKind(src) {
	case 1:
		broadcastCopy(wordsAs[uint8](dst), wordsAs[uint8](src), ds, ss)
	case 2:
		broadcastCopy(wordsAs[uint16](dst), wordsAs[uint16](src), ds, ss)
	case 4:
		broadcastCopy(wordsAs[uint32](dst), wordsAs[uint32](src), ds, ss)
	case 8:
		broadcastCopy(wordsAs[uint64](dst), wordsAs[uint64](src), ds, ss)
	case 0:
		broadcastCopy(wordsAs[string](dst), wordsAs[string](src), ds, ss)
	}
}

func runTile(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	reps, err := int64sOf(in[1])
	if err != nil {
		return fmt.Errorf("Tile repeats: %w", err)
	}
	if len(reps) != x.Rank() {
		return fmt.Errorf("Tile has %d repeats for an input of rank %d", len(reps), x.Rank())
	}
	xs := x.Shape()
	shape := make([]int, len(xs))
	for i, r := range reps {
		if r < 0 {
			return fmt.Errorf("Tile repeats %v are negative", reps)
		}
		if xs[i] != 0 && r > int64(1<<31/xs[i]) {
			return fmt.Errorf("Tile repeats %v are too large", reps)
		}
		shape[i] = xs[i] * int(r)
	}
	y := rc.alloc(x.DType(), shape)
	// Input index along axis a of output index i is i mod xs[a]: a strided
	// copy per tile would do, but the odometer below is simpler and linear.
	switch wordKind(x) {
	case 1:
		tileT(wordsAs[uint8](y), wordsAs[uint8](x), xs, shape)
	case 2:
		tileT(wordsAs[uint16](y), wordsAs[uint16](x), xs, shape)
	case 4:
		tileT(wordsAs[uint32](y), wordsAs[uint32](x), xs, shape)
	case 8:
		tileT(wordsAs[uint64](y), wordsAs[uint64](x), xs, shape)
	case 0:
		tileT(wordsAs[string](y), wordsAs[string](x), xs, shape)
	}
	out[0] = y
	return nil
}

func tileT[T any](dst, src []T, in, shape []int) {
	if len(dst) == 0 {
		return
	}
	r := len(shape)
	if r == 0 {
		dst[0] = src[0]
		return
	}
	strides := tensor.Strides(in)
	idx := make([]int, r)
	n := shape[r-1]
	w := in[r-1]
	for o := 0; o < len(dst); o += n {
		base := 0
		for a := range r - 1 {
			base += (idx[a] % in[a]) * strides[a]
		}
		row := src[base : base+w]
		d := dst[o : o+n]
		for j := 0; j < n; j += w {
			copy(d[j:j+w], row)
		}
		for a := r - 2; a >= 0; a-- {
			idx[a]++
			if idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
	}
}
