package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// RoiAlign (opsets 10 and 16): every region of interest of a 4-D feature
// map is divided into output_height × output_width bins, each the average
// (or, mode max, the largest weighted corner, as ONNX Runtime computes it)
// of sampling_ratio² bilinear samples (adaptive when 0). Coordinates are
// half_pixel by default from opset 16, output_half_pixel before.

func init() { registerSince("RoiAlign", 10, buildRoiAlign) }

type roiAlign struct {
	maxMode      bool
	halfPixel    bool
	oh, ow       int
	samplingRate int
	scale        float64
}

func buildRoiAlign(b *buildCtx) (kernel, error) {
	k := &roiAlign{}
	mode, err := b.stringAttr("mode", "avg")
	if err != nil {
		return nil, err
	}
	if mode != "avg" && mode != "max" {
		return nil, b.errorf("attribute mode is %q, want avg or max", mode)
	}
	k.maxMode = mode == "max"
	def := "output_half_pixel"
	if b.opset >= 16 {
		def = "half_pixel"
	}
	ct, err := b.stringAttr("coordinate_transformation_mode", def)
	if err != nil {
		return nil, err
	}
	if ct != "half_pixel" && ct != "output_half_pixel" {
		return nil, b.errorf("attribute coordinate_transformation_mode is %q", ct)
	}
	k.halfPixel = ct == "half_pixel"
	for name, dst := range map[string]*int{"output_height": &k.oh, "output_width": &k.ow, "sampling_ratio": &k.samplingRate} {
		def := int64(1)
		if name == "sampling_ratio" {
			def = 0
		}
		v, err := b.intAttr(name, def)
		if err != nil {
			return nil, err
		}
		if v < 0 || v > 1<<16 {
			return nil, b.errorf("attribute %s is %d", name, v)
		}
		*dst = int(v)
	}
	s, err := b.floatAttr("spatial_scale", 1)
	if err != nil {
		return nil, err
	}
	k.scale = float64(s)
	return k, nil
}

func (k *roiAlign) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x, rois, batchIdx := in[0], in[1], in[2]
	xs := x.Shape()
	if len(xs) != 4 || rois.Rank() != 2 || rois.Shape()[1] != 4 {
		return fmt.Errorf("RoiAlign input %v and rois %v must be [N, C, H, W] and [R, 4]", xs, rois.Shape())
	}
	xv, err := floatsOf(x)
	if err != nil {
		return fmt.Errorf("RoiAlign: %w", err)
	}
	rv, err := floatsOf(rois)
	if err != nil {
		return fmt.Errorf("RoiAlign rois: %w", err)
	}
	bi, err := intsOf(batchIdx)
	if err != nil || len(bi) != rois.Shape()[0] {
		return fmt.Errorf("RoiAlign batch_indices must hold one index per region")
	}
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	r := rois.Shape()[0]
	res := make([]float64, r*c*k.oh*k.ow)
	offset := 0.0
	if k.halfPixel {
		offset = 0.5
	}
	for ri := range r {
		if bi[ri] < 0 || bi[ri] >= n {
			return fmt.Errorf("RoiAlign batch index %d out of range", bi[ri])
		}
		x1, y1 := rv[4*ri]*k.scale-offset, rv[4*ri+1]*k.scale-offset
		x2, y2 := rv[4*ri+2]*k.scale-offset, rv[4*ri+3]*k.scale-offset
		rw, rh := x2-x1, y2-y1
		if !k.halfPixel {
			rw, rh = max(rw, 1), max(rh, 1)
		}
		bw, bh := rw/float64(k.ow), rh/float64(k.oh)
		gh, gw := k.samplingRate, k.samplingRate
		if gh == 0 {
			gh, gw = int(math.Ceil(rh/float64(k.oh))), int(math.Ceil(rw/float64(k.ow)))
		}
		count := float64(max(gh*gw, 1))
		for ch := range c {
			plane := xv[(bi[ri]*c+ch)*h*w : (bi[ri]*c+ch+1)*h*w]
			for ph := range k.oh {
				for pw := range k.ow {
					var acc float64
					first := true
					for iy := range gh {
						yy := y1 + float64(ph)*bh + (float64(iy)+0.5)*bh/float64(gh)
						for ix := range gw {
							xx := x1 + float64(pw)*bw + (float64(ix)+0.5)*bw/float64(gw)
							v := roiSample(plane, h, w, yy, xx, k.maxMode)
							switch {
							case !k.maxMode:
								acc += v
							case first || v > acc:
								acc = v
							}
							first = false
						}
					}
					if !k.maxMode {
						acc /= count
					}
					res[((ri*c+ch)*k.oh+ph)*k.ow+pw] = acc
				}
			}
		}
	}
	y := rc.alloc(x.DType(), []int{r, c, k.oh, k.ow})
	castSlice(y.Data(), res)
	out[0] = y
	return nil
}

// roiSample interpolates the plane at (y, x) as ONNX Runtime's RoiAlign:
// 0 beyond one pixel outside, clamped at the edges; in max mode the
// largest of the four weighted corners.
func roiSample(plane []float64, h, w int, y, x float64, maxMode bool) float64 {
	if y < -1 || y > float64(h) || x < -1 || x > float64(w) {
		return 0
	}
	y, x = max(y, 0), max(x, 0)
	yl, xl := int(y), int(x)
	yh, xh := yl+1, xl+1
	if yl >= h-1 {
		yl, yh, y = h-1, h-1, float64(h-1)
	}
	if xl >= w-1 {
		xl, xh, x = w-1, w-1, float64(w-1)
	}
	ly, lx := y-float64(yl), x-float64(xl)
	hy, hx := 1-ly, 1-lx
	v := [4]float64{hy * hx * plane[yl*w+xl], hy * lx * plane[yl*w+xh], ly * hx * plane[yh*w+xl], ly * lx * plane[yh*w+xh]}
	if maxMode {
		return max(v[0], v[1], v[2], v[3])
	}
	return v[0] + v[1] + v[2] + v[3]
}
