package native

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/inferd/inferd/tensor"
)

// NonMaxSuppression (opset 10): per batch and class, boxes in decreasing
// score order (above score_threshold) are kept unless they overlap a kept
// box by more than iou_threshold, up to max_output_boxes_per_class. Boxes
// are corners in any order (center_point_box 0) or centre and size (1).

func init() { registerSince("NonMaxSuppression", 10, buildNMS) }

func buildNMS(b *buildCtx) (kernel, error) {
	center, err := b.boolAttr("center_point_box", false)
	if err != nil {
		return nil, err
	}
	return &nmsKernel{center: center}, nil
}

type nmsKernel struct{ center bool }

// nmsMaxKeep bounds the kept boxes of one image and class held in scratch
// (max_output_boxes_per_class is often huge, meaning all).
func nmsMaxKeep(maxOut float64, n int) int { return int(min(maxOut, float64(n))) }

func (k *nmsKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	boxes, scores := in[0], in[1]
	bs, ss := boxes.Shape(), scores.Shape()
	if len(bs) != 3 || bs[2] != 4 || len(ss) != 3 || ss[0] != bs[0] || ss[2] != bs[1] {
		return fmt.Errorf("NonMaxSuppression boxes %v and scores %v do not match", bs, ss)
	}
	p, err := nmsParamsOf(in)
	if err != nil {
		return err
	}
	bv, err := float32sOf(boxes)
	if err != nil {
		return err
	}
	sv, err := float32sOf(scores)
	if err != nil {
		return err
	}
	n, pairs := bs[1], bs[0]*ss[1]
	maxKeep := max(nmsMaxKeep(p.maxOut, n), 0)
	// Scratch: corners and areas of all boxes (5 floats a box), then per
	// image and class the count and indices kept (1 + maxKeep int32s), then
	// the sort keys of one class (n uint64s).
	boxN, keptN := len(bv)/4, pairs*(1+maxKeep)
	keyAt := (5*boxN + keptN + 1) &^ 1 // 8-byte aligned
	buf := getScratch(keyAt + 2*n)
	defer putScratch(buf)
	s := *buf
	corners := s[:5*boxN]
	nmsCorners(corners, bv, k.center)
	keptAll, keys := float32Ints(s[5*boxN:5*boxN+keptN]), float32Keys(s[keyAt:])[:n]
	total := 0
	for pi := range pairs {
		bi := pi / ss[1]
		kept := keptAll[pi*(1+maxKeep) : (pi+1)*(1+maxKeep)]
		kept[0] = int32(p.keep(sv[pi*n:(pi+1)*n], corners[bi*n*5:(bi+1)*n*5], keys, kept[1:]))
		total += int(kept[0])
	}
	o := rc.alloc(tensor.Int64, []int{total, 3})
	sel := tensor.Data[int64](o)
	for pi := range pairs {
		kept := keptAll[pi*(1+maxKeep):]
		for _, j := range kept[1 : 1+kept[0]] {
			sel[0], sel[1], sel[2], sel = int64(pi/ss[1]), int64(pi%ss[1]), int64(j), sel[3:]
		}
	}
	out[0] = o
	return nil
}

// float32sOf returns t's values as float32, t's own storage when it is
// float32.
func float32sOf(t *tensor.Tensor) ([]float32, error) {
	if t.DType() == tensor.Float32 {
		return tensor.Data[float32](t), nil
	}
	v, err := floatsOf(t)
	if err != nil {
		return nil, err
	}
	f := make([]float32, len(v))
	castSlice(f, v)
	return f, nil
}

// float32Ints and float32Keys reinterpret float32 scratch as int32 indices
// and (two floats each) uint64 sort keys.
func float32Ints(s []float32) []int32 {
	return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func float32Keys(s []float32) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(s))), len(s)/2)
}

// nmsParams are NonMaxSuppression's optional scalar inputs.
type nmsParams struct {
	maxOut, iou, scoreTh float64
	hasScoreTh           bool
}

// nmsParamsOf reads inputs 2–4, each absent or empty for its default.
func nmsParamsOf(in []*tensor.Tensor) (nmsParams, error) {
	var p nmsParams
	names := [...]string{"max_output_boxes_per_class", "iou_threshold", "score_threshold"}
	var vals [3]float64
	for i, name := range names {
		if i+2 >= len(in) || in[i+2] == nil || in[i+2].Len() == 0 {
			continue
		}
		v, err := scalarFloat(in[i+2])
		if err != nil {
			return p, fmt.Errorf("%s: %w", name, err)
		}
		vals[i] = v
		p.hasScoreTh = p.hasScoreTh || i == 2
	}
	p.maxOut, p.iou, p.scoreTh = vals[0], vals[1], vals[2]
	return p, nil
}

// nmsCorners writes each box as [y1, x1, y2, x2] corners and its area,
// five floats a box.
func nmsCorners(dst, bv []float32, center bool) {
	for i := range len(bv) / 4 {
		a, c, d, e := bv[4*i], bv[4*i+1], bv[4*i+2], bv[4*i+3]
		y1, x1, y2, x2 := min(a, d), min(c, e), max(a, d), max(c, e)
		if center {
			y1, x1, y2, x2 = c-e/2, a-d/2, c+e/2, a+d/2
		}
		dst[5*i], dst[5*i+1], dst[5*i+2], dst[5*i+3], dst[5*i+4] = y1, x1, y2, x2, (y2-y1)*(x2-x1)
	}
}

// keep writes to kept the boxes one image and class keeps and returns
// their number: by decreasing score sc (ties in box order), those above
// the score threshold that overlap no kept box by more than the IoU
// threshold, up to len(kept). keys is scratch of len(sc). The candidates
// are a heap of keys (score, box), popped only until enough are kept.
func (p nmsParams) keep(sc, corners []float32, keys []uint64, kept []int32) int {
	keys = keys[:0]
	for j, v := range sc {
		if !p.hasScoreTh || float64(v) > p.scoreTh {
			keys = append(keys, nmsKey(v, j))
		}
	}
	heapify(keys)
	c := 0
	for len(keys) > 0 && c < len(kept) {
		j := int32(uint32(keys[0]))
		keys = heapPop(keys)
		if !p.overlaps(corners[5*j:5*j+5], corners, kept[:c]) {
			kept[c] = j
			c++
		}
	}
	return c
}

// nmsKey orders by decreasing score (NaN last) then increasing box.
func nmsKey(v float32, j int) uint64 {
	b := math.Float32bits(v)
	switch {
	case v != v:
		b = 0
	case v == 0:
		b = 1 << 31 // −0 ties with +0
	case b>>31 != 0:
		b = ^b
	default:
		b |= 1 << 31
	}
	return uint64(^b)<<32 | uint64(uint32(j))
}

// heapify makes h a min-heap; heapPop removes its minimum.
func heapify(h []uint64) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
}

func heapPop(h []uint64) []uint64 {
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	siftDown(h, 0)
	return h
}

func siftDown(h []uint64, i int) {
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h[c+1] < h[c] {
			c++
		}
		if h[i] <= h[c] {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// overlaps reports whether box overlaps any kept box by more than the IoU
// threshold.
func (p nmsParams) overlaps(box, corners []float32, kept []int32) bool {
	for _, k := range kept {
		if float64(boxIoU(box, corners[5*k:5*k+5])) > p.iou {
			return true
		}
	}
	return false
}

// boxIoU is the intersection over union of two [y1, x1, y2, x2, area]
// boxes.
func boxIoU(a, b []float32) float32 {
	ih := min(a[2], b[2]) - max(a[0], b[0])
	iw := min(a[3], b[3]) - max(a[1], b[1])
	if ih <= 0 || iw <= 0 {
		return 0
	}
	inter := ih * iw
	union := a[4] + b[4] - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}
