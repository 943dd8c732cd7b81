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
	broadcastLoops.run(dst, src, shapePair{dst.Shape(), src.Shape()})
}

// shapePair is an output shape and an input's.
type shapePair struct{ out, in []int }

var broadcastLoops = loopsOf[shapePair](broadcastPair, broadcastPair, broadcastPair, broadcastPair, broadcastPair)

func broadcastPair[T any](dst, src []T, s shapePair) { broadcastCopy(dst, src, s.out, s.in) }

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
	tileLoops.run(y, x, shapePair{shape, xs})
	out[0] = y
	return nil
}

var tileLoops = loopsOf[shapePair](tileT, tileT, tileT, tileT, tileT)

// tileT repeats src (of shape s.in) to fill dst (of shape s.out).
func tileT[T any](dst, src []T, s shapePair) {
	in, shape := s.in, s.out
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
