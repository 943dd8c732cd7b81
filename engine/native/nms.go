package native

import (
	"cmp"
	"fmt"
	"slices"

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
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		boxes, scores := in[0], in[1]
		bs, ss := boxes.Shape(), scores.Shape()
		if len(bs) != 3 || bs[2] != 4 || len(ss) != 3 || ss[0] != bs[0] || ss[2] != bs[1] {
			return fmt.Errorf("NonMaxSuppression boxes %v and scores %v do not match", bs, ss)
		}
		p, err := nmsParamsOf(in)
		if err != nil {
			return err
		}
		bv, err := floatsOf(boxes)
		if err != nil {
			return err
		}
		sv, err := floatsOf(scores)
		if err != nil {
			return err
		}
		n := bs[1]
		corners := nmsCorners(bv, center)
		sel := []int64{}
		cand, kept := make([]int, 0, n), make([]int, 0, n) // reused for every image and class
		for bi := range bs[0] {
			for cl := range ss[1] {
				sc := sv[(bi*ss[1]+cl)*n : (bi*ss[1]+cl+1)*n]
				kept = p.keep(sc, corners[bi*n:(bi+1)*n], cand, kept)
				for _, j := range kept {
					sel = append(sel, int64(bi), int64(cl), int64(j))
				}
			}
		}
		out[0] = tensor.MustFromSlice(sel, len(sel)/3, 3)
		return nil
	}), nil
}

// nmsParams are NonMaxSuppression's optional scalar inputs.
type nmsParams struct {
	maxOut, iou, scoreTh float64
	hasScoreTh           bool
}

// nmsParamsOf reads inputs 2–4, each absent or empty for its default.
func nmsParamsOf(in []*tensor.Tensor) (nmsParams, error) {
	var p nmsParams
	for _, f := range []struct {
		i    int
		name string
		dst  *float64
	}{{2, "max_output_boxes_per_class", &p.maxOut}, {3, "iou_threshold", &p.iou}, {4, "score_threshold", &p.scoreTh}} {
		if f.i >= len(in) || in[f.i] == nil || in[f.i].Len() == 0 {
			continue
		}
		v, err := scalarFloat(in[f.i])
		if err != nil {
			return p, fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = v
		p.hasScoreTh = p.hasScoreTh || f.i == 4
	}
	return p, nil
}

// nmsCorners converts the boxes to [y1, x1, y2, x2] corners.
func nmsCorners(bv []float64, center bool) [][4]float64 {
	corners := make([][4]float64, len(bv)/4)
	for i := range corners {
		a, c, d, e := bv[4*i], bv[4*i+1], bv[4*i+2], bv[4*i+3]
		if center {
			corners[i] = [4]float64{c - e/2, a - d/2, c + e/2, a + d/2}
		} else {
			corners[i] = [4]float64{min(a, d), min(c, e), max(a, d), max(c, e)}
		}
	}
	return corners
}

// keep returns, in kept's storage, the boxes one image and class keeps:
// by decreasing score sc, those above the score threshold that overlap no
// kept box by more than the IoU threshold, up to maxOut. cand is scratch.
func (p nmsParams) keep(sc []float64, corners [][4]float64, cand, kept []int) []int {
	cand = cand[:0]
	for j, v := range sc {
		if !p.hasScoreTh || v > p.scoreTh {
			cand = append(cand, j)
		}
	}
	// Decreasing score, ties in box order (no reflection swapper:
	// sort.SliceStable was most of a YOLO model's NMS time).
	slices.SortStableFunc(cand, func(a, b int) int { return cmp.Compare(sc[b], sc[a]) })
	kept = kept[:0]
	for _, j := range cand {
		if float64(len(kept)) >= p.maxOut {
			break
		}
		if !p.overlaps(corners[j], corners, kept) {
			kept = append(kept, j)
		}
	}
	return kept
}

// overlaps reports whether box overlaps any kept box by more than the IoU
// threshold.
func (p nmsParams) overlaps(box [4]float64, corners [][4]float64, kept []int) bool {
	for _, k := range kept {
		if boxIoU(box, corners[k]) > p.iou {
			return true
		}
	}
	return false
}

// boxIoU is the intersection over union of two [y1, x1, y2, x2] boxes.
func boxIoU(a, b [4]float64) float64 {
	ih := min(a[2], b[2]) - max(a[0], b[0])
	iw := min(a[3], b[3]) - max(a[1], b[1])
	if ih <= 0 || iw <= 0 {
		return 0
	}
	inter := ih * iw
	union := (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}
