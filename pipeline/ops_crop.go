package pipeline

import (
	"errors"
	"fmt"
	"math"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// cropResize cuts image regions out and resizes them for the next model
// (averaging the pixels each output pixel covers when the box shrinks,
// bilinear when it grows): images FP32 [N, C, H, W], boxes FP32 [M, 4] as x1, y1, x2,
// y2 in the images' pixels (x2, y2 excluded), and optionally image_index
// INT64 [M], the image each box is in (default 0) → crops FP32
// [M, C, Height, Width].
type cropResizeOp struct {
	Width, Height int
}

func newCropResize(e opEnv) (op, error) {
	o := cropResizeOp{}
	if err := e.decode(&o); err != nil {
		return nil, err
	}
	if o.Width <= 0 || o.Height <= 0 || o.Width*o.Height > 1<<24 {
		return nil, errors.New("args: width and height must be positive (and their product at most 2^24)")
	}
	return o, nil
}

func (o cropResizeOp) outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error) {
	names := []string{"images", "boxes"}
	if _, ok := in["image_index"]; ok {
		names = append(names, "image_index")
	}
	if err := want(in, names...); err != nil {
		return nil, err
	}
	if err := wantScores("images", in["images"], 4); err != nil {
		return nil, err
	}
	b := in["boxes"]
	if err := wantScores("boxes", b, 2); err != nil {
		return nil, err
	}
	if b.Shape != nil && b.Shape[1] >= 0 && b.Shape[1] != 4 {
		return nil, fmt.Errorf("input \"boxes\" has shape %v; want [M, 4]", b.Shape)
	}
	if ix, ok := in["image_index"]; ok && ix.DType != tensor.Int64 {
		return nil, fmt.Errorf("input \"image_index\" is %v; want INT64", ix.DType)
	}
	c := -1
	if s := in["images"].Shape; s != nil {
		c = s[1]
	}
	return []engine.TensorInfo{info("crops", tensor.Float32, batchOf(b), c, o.Height, o.Width)}, nil
}

func (o cropResizeOp) run(in, dst map[string]*tensor.Tensor) error {
	img := in["images"]
	if img.Rank() != 4 {
		return fmt.Errorf("%w: crop_resize: images are %v; want [N, C, H, W]", engine.ErrInvalidInput, img)
	}
	boxes, m, four, err := rows2("boxes", in["boxes"])
	if err != nil || four != 4 {
		return fmt.Errorf("%w: crop_resize: boxes are %v; want FP32 [M, 4]", engine.ErrInvalidInput, in["boxes"])
	}
	var index []int64
	if t, ok := in["image_index"]; ok {
		if index = tensor.Data[int64](t); len(index) != m {
			return fmt.Errorf("%w: crop_resize: %d image indices for %d boxes", engine.ErrInvalidInput, len(index), m)
		}
	}
	s := img.Shape()
	n, c := s[0], s[1]
	plane := s[2] * s[3]
	if err := checkOutputSize("crop_resize", int64(m)*int64(c)*int64(o.Height)*int64(o.Width)); err != nil {
		return err
	}
	src := tensor.Data[float32](img)
	out := make([]float32, m*c*o.Height*o.Width)
	var cols, rows axis // reused from box to box
	for k := range m {
		at := 0
		if index != nil {
			at = int(index[k])
		}
		if at < 0 || at >= n {
			return fmt.Errorf("%w: crop_resize: box %d is in image %d of %d", engine.ErrInvalidInput, k, at, n)
		}
		box := boxes[k*4 : k*4+4]
		if !(box[2] > box[0] && box[3] > box[1]) || slicesHasNaN(box) {
			return fmt.Errorf("%w: crop_resize: box %d %v is empty", engine.ErrInvalidInput, k, box)
		}
		sx := float64(box[2]-box[0]) / float64(o.Width)
		sy := float64(box[3]-box[1]) / float64(o.Height)
		shrinks := box[2]-box[0] >= float32(o.Width) && box[3]-box[1] >= float32(o.Height)
		if shrinks {
			cols.cover(float64(box[0]), sx, o.Width, s[3])
			rows.cover(float64(box[1]), sy, o.Height, s[2])
		}
		for ch := range c {
			p := src[(at*c+ch)*plane : (at*c+ch+1)*plane]
			dst := out[(k*c+ch)*o.Height*o.Width : (k*c+ch+1)*o.Height*o.Width]
			if shrinks {
				o.area(dst, p, s[3], &cols, &rows, sx*sy)
			} else {
				o.resample(dst, p, s[3], s[2], box)
			}
		}
	}
	dst["crops"] = tensor.MustFromSlice(out, m, c, o.Height, o.Width)
	return nil
}

// resample fills dst (Height×Width) with the box of the plane p (w×h)
// sampled bilinearly at the centres of the output pixels; outside the
// plane counts as 0.
func (o cropResizeOp) resample(dst, p []float32, w, h int, box []float32) {
	sx := float64(box[2]-box[0]) / float64(o.Width)
	sy := float64(box[3]-box[1]) / float64(o.Height)
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= w || y >= h {
			return 0
		}
		return float64(p[y*w+x])
	}
	for i := range o.Height {
		y := float64(box[1]) + (float64(i)+0.5)*sy - 0.5
		y0 := int(math.Floor(y))
		fy := y - float64(y0)
		for j := range o.Width {
			x := float64(box[0]) + (float64(j)+0.5)*sx - 0.5
			x0 := int(math.Floor(x))
			fx := x - float64(x0)
			top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
			bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
			dst[i*o.Width+j] = float32(top*(1-fy) + bot*fy)
		}
	}
}

// area fills dst (Height×Width) with the box of the plane p (w pixels
// wide) whose coverage is cols and rows, each output pixel the mean of
// the plane over the rectangle it covers (of the given area; fractions
// of pixels counted by their area; outside the plane counts as 0). Only
// the part of the rectangle inside the plane is visited.
func (o cropResizeOp) area(dst, p []float32, w int, cols, rows *axis, area float64) {
	for i, r := range rows.spans {
		for j, c := range cols.spans {
			var sum float64
			for y := r.lo; y < r.hi; y++ {
				cy := rows.parts[r.at+y-r.lo]
				for x := c.lo; x < c.hi; x++ {
					sum += float64(p[y*w+x]) * cols.parts[c.at+x-c.lo] * cy
				}
			}
			dst[i*o.Width+j] = float32(sum / area)
		}
	}
}

// axis is how the output pixels of a box cover one axis of the image:
// output pixel k covers the pixels [lo, hi) of spans[k], and the part
// of pixel x that it covers is parts[at+x-lo]. The columns' coverage is
// the same on every output row, so it is worked out once per box, into
// slices reused from box to box.
type axis struct {
	spans []span
	parts []float64
}

type span struct{ lo, hi, at int }

// cover works out the coverage of n output pixels of size step from
// start, on an axis of size pixels.
func (a *axis) cover(start, step float64, n, size int) {
	if want := n * (int(math.Ceil(step)) + 2); cap(a.parts) < want {
		a.spans, a.parts = make([]span, 0, n), make([]float64, 0, want)
	}
	a.spans, a.parts = a.spans[:0], a.parts[:0]
	for k := range n {
		lo, hi := start+float64(k)*step, start+float64(k+1)*step
		s := span{lo: max(0, int(math.Floor(lo))), hi: min(size, int(math.Ceil(hi))), at: len(a.parts)}
		for x := s.lo; x < s.hi; x++ {
			a.parts = append(a.parts, min(hi, float64(x+1))-max(lo, float64(x)))
		}
		a.spans = append(a.spans, s)
	}
}

func slicesHasNaN(xs []float32) bool {
	for _, x := range xs {
		if x != x || math.IsInf(float64(x), 0) {
			return true
		}
	}
	return false
}
