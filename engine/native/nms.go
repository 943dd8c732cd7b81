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
		scalar := func(i int, def float64) (float64, error) {
			if i >= len(in) || in[i] == nil || in[i].Len() == 0 {
				return def, nil
			}
			return scalarFloat(in[i])
		}
		maxOut, err := scalar(2, 0)
		if err != nil {
			return fmt.Errorf("max_output_boxes_per_class: %w", err)
		}
		iou, err := scalar(3, 0)
		if err != nil {
			return fmt.Errorf("iou_threshold: %w", err)
		}
		hasScoreTh := len(in) > 4 && in[4] != nil && in[4].Len() > 0
		scoreTh, err := scalar(4, 0)
		if err != nil {
			return fmt.Errorf("score_threshold: %w", err)
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
		corners := make([][4]float64, len(bv)/4)
		for i := range corners {
			a, c, d, e := bv[4*i], bv[4*i+1], bv[4*i+2], bv[4*i+3]
			if center {
				corners[i] = [4]float64{c - e/2, a - d/2, c + e/2, a + d/2} // y1, x1, y2, x2
			} else {
				corners[i] = [4]float64{min(a, d), min(c, e), max(a, d), max(c, e)}
			}
		}
		var sel []int64
		cand, kept := make([]int, 0, n), make([]int, 0, n) // reused for every image and class
		for bi := range bs[0] {
			for cl := range ss[1] {
				cand = cand[:0]
				for j := range n {
					if !hasScoreTh || sv[(bi*ss[1]+cl)*n+j] > scoreTh {
						cand = append(cand, j)
					}
				}
				sc := sv[(bi*ss[1]+cl)*n:]
				// Decreasing score, ties in box order (no reflection swapper:
				// sort.SliceStable was most of a YOLO model's NMS time).
				slices.SortStableFunc(cand, func(p, q int) int { return cmp.Compare(sc[q], sc[p]) })
				kept = kept[:0]
				for _, j := range cand {
					if float64(len(kept)) >= maxOut {
						break
					}
					ok := true
					for _, k := range kept {
						if boxIoU(corners[bi*n+j], corners[bi*n+k]) > iou {
							ok = false
							break
						}
					}
					if ok {
						kept = append(kept, j)
						sel = append(sel, int64(bi), int64(cl), int64(j))
					}
				}
			}
		}
		if sel == nil {
			sel = []int64{}
		}
		out[0] = tensor.MustFromSlice(sel, len(sel)/3, 3)
		return nil
	}), nil
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
