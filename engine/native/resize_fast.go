package native

import (
	"slices"
	"sync"

	"github.com/inferd/inferd/tensor"
)

// The fast path of Resize for float32 images: only the last two axes
// change, and every output coordinate reads at most four input
// coordinates per axis (nearest, linear, cubic, whatever the coordinate
// mode). The taps come from the same axisTaps as the general path and are
// kept, flattened to float32, for the last shapes seen; the output is
// computed row by row in parallel, in float32; nearest copies the input
// through an index table.

// resize2D is the flattened taps of the two resized axes.
type resize2D struct {
	// key: input shape, output shape and scales.
	in, out []int
	scales  []float64
	// kh and kw taps per output row and column: input index and weight.
	kh, kw       int
	hIdx, wIdx   []int
	hW, wW       []float32
	planes, h, w int
	oh, ow       int
	// copies is set when every output is one input value (weight 1).
	copies bool
}

// resizeCache keeps the last resize2D of a kernel, and the last output
// shape and scales computed from constant parameters.
type resizeCache struct {
	mu   sync.Mutex
	last *resize2D
	// in, out and scales: the last shapes.
	in, out []int
	scales  []float64
}

// shapes is outputShape, remembered for the last input shape when the
// parameters are constant (their values cannot change between runs).
func (k *resizeKernel) shapes(in []*tensor.Tensor, xs []int, roi []float64) ([]int, []float64, error) {
	if !k.constParams || roi != nil {
		return k.outputShape(in, xs, roi)
	}
	c := &k.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.in != nil && slices.Equal(c.in, xs) {
		return c.out, c.scales, nil
	}
	out, scales, err := k.outputShape(in, xs, roi)
	if err == nil {
		c.in, c.out, c.scales = slices.Clone(xs), out, scales
	}
	return out, scales, err
}

// fastPlan returns the flattened taps for resizing x to outShape, or nil
// when the fast path does not apply.
func (k *resizeKernel) fastPlan(xs, outShape []int, scales []float64) *resize2D {
	r := len(xs)
	if r < 2 || k.coord == "tf_crop_and_resize" {
		return nil
	}
	for d := range r - 2 {
		if xs[d] != outShape[d] || scales[d] != 1 {
			return nil
		}
	}
	k.cache.mu.Lock()
	defer k.cache.mu.Unlock()
	if p := k.cache.last; p != nil && slices.Equal(p.in, xs) && slices.Equal(p.out, outShape) && slices.Equal(p.scales, scales) {
		return p
	}
	for d := range r - 2 {
		// Identity taps (not under tf_half_pixel_for_nn, say, which
		// shifts even at scale 1).
		for o, t := range k.axisTaps(xs[d], outShape[d], 1, 0, 0) {
			if len(t.idx) != 1 || t.idx[0] != o || t.w[0] != 1 {
				return nil
			}
		}
	}
	p := &resize2D{in: slices.Clone(xs), out: slices.Clone(outShape), scales: slices.Clone(scales),
		planes: prod(xs[:r-2]), h: xs[r-2], w: xs[r-1], oh: outShape[r-2], ow: outShape[r-1]}
	var ok bool
	if p.kh, p.hIdx, p.hW, ok = flatTaps(k.axisTaps(p.h, p.oh, scales[r-2], 0, 0)); !ok {
		return nil
	}
	if p.kw, p.wIdx, p.wW, ok = flatTaps(k.axisTaps(p.w, p.ow, scales[r-1], 0, 0)); !ok {
		return nil
	}
	p.copies = p.kh == 1 && p.kw == 1 && !slices.ContainsFunc(p.hW, notOne) && !slices.ContainsFunc(p.wW, notOne)
	k.cache.last = p
	return p
}

func notOne(w float32) bool { return w != 1 }

// flatTaps flattens the taps of an axis to k per coordinate (padded with
// zero weights), false when a coordinate has none or more than four.
func flatTaps(taps []axisTaps) (k int, idx []int, w []float32, ok bool) {
	for _, t := range taps {
		if len(t.idx) == 0 || len(t.idx) > 4 || t.outside {
			return 0, nil, nil, false
		}
		k = max(k, len(t.idx))
	}
	idx, w = make([]int, k*len(taps)), make([]float32, k*len(taps))
	for o, t := range taps {
		for j := range k {
			if j < len(t.idx) {
				idx[o*k+j], w[o*k+j] = t.idx[j], float32(t.w[j])
			} else {
				idx[o*k+j] = t.idx[0]
			}
		}
	}
	return k, idx, w, true
}

// run computes y from x, rows of all planes in parallel.
func (p *resize2D) run(rc *runCtx, x, y []float32) {
	b := resizeBodies.get()
	*b = resizeBody{p: p, x: x, y: y}
	parallelRange(rc.threads, p.planes*p.oh, max(1, (elemGrain/4)/max(1, p.ow)), b)
	resizeBodies.put(b)
}

// resizeBody is the parallel region of resize2D.run: the items are the
// output rows.
type resizeBody struct {
	p    *resize2D
	x, y []float32
}

var resizeBodies freeList[resizeBody]

func (b *resizeBody) do(lo, hi int) {
	for r := lo; r < hi; r++ {
		b.p.row(b.x, b.y, r)
	}
}

// row computes output row r (of all planes' rows).
func (p *resize2D) row(x, y []float32, r int) {
	plane, oh := r/p.oh, r%p.oh
	xp := x[plane*p.h*p.w : (plane+1)*p.h*p.w]
	dst := y[r*p.ow : (r+1)*p.ow]
	if p.copies {
		ih := p.hIdx[oh]
		src := xp[ih*p.w : (ih+1)*p.w]
		idx := p.wIdx[:len(dst)]
		for o := range dst {
			dst[o] = src[idx[o]]
		}
		return
	}
	clear(dst)
	for j := range p.kh {
		wh := p.hW[oh*p.kh+j]
		if wh == 0 {
			continue
		}
		src := xp[p.hIdx[oh*p.kh+j]*p.w:]
		switch p.kw {
		case 1:
			for o := range dst {
				dst[o] += wh * p.wW[o] * src[p.wIdx[o]]
			}
		case 2:
			for o := range dst {
				i := 2 * o
				dst[o] += wh * (p.wW[i]*src[p.wIdx[i]] + p.wW[i+1]*src[p.wIdx[i+1]])
			}
		default:
			for o := range dst {
				var s float32
				for q := range p.kw {
					s += p.wW[o*p.kw+q] * src[p.wIdx[o*p.kw+q]]
				}
				dst[o] += wh * s
			}
		}
	}
}

// runFast resizes a float32 x through the fast path, false when it does
// not apply.
func (k *resizeKernel) runFast(rc *runCtx, x *tensor.Tensor, outShape []int, scales []float64, out []*tensor.Tensor) bool {
	if x.DType() != tensor.Float32 {
		return false
	}
	if err := rc.fits(tensor.Float32, outShape); err != nil {
		// Before the taps, which take memory in proportion to the
		// output's sides.
		throwf("Resize: %v", err)
	}
	p := k.fastPlan(x.Shape(), outShape, scales)
	if p == nil {
		return false
	}
	y := rc.alloc(tensor.Float32, outShape)
	p.run(rc, tensor.Data[float32](x), tensor.Data[float32](y))
	out[0] = y
	return true
}
