package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// Resize (opsets 10, 11 and 13) and Upsample (7 and 9) over any number of
// axes: nearest (four rounding modes), linear (multilinear) and cubic
// (separable bicubic with coefficient a and exclude_outside), with every
// coordinate transformation mode of opset 13 including tf_crop_and_resize
// and its extrapolation value. Each axis gets a table of taps (input index
// and weight per output coordinate), computed as the ONNX reference
// implementation does; outputs combine the taps of all axes. Before opset
// 11 (and for Upsample) coordinates are asymmetric and nearest rounds down.

func init() {
	registerSince("Resize", 10, buildResize)
	registerDef("", "Upsample", opDef{minVersion: 7, maxVersion: 9, build: buildUpsample})
}

type resizeKernel struct {
	mode, coord, nearest string
	cubicA               float64
	excludeOutside       bool
	extrapolation        float64
	// Input positions of roi, scales and sizes, -1 when absent.
	roiIn, scalesIn, sizesIn int
	attrScales               []float32
	// constParams is set when roi, scales and sizes are absent or
	// constant: the output shape is then a function of the input's.
	constParams bool
	cache       resizeCache
}

func buildResize(b *buildCtx) (kernel, error) {
	k := &resizeKernel{roiIn: -1, scalesIn: 1, sizesIn: -1, coord: "asymmetric", nearest: "floor"}
	var err error
	if k.mode, err = b.stringAttr("mode", "nearest"); err != nil {
		return nil, err
	}
	if b.opset >= 11 {
		k.roiIn, k.scalesIn, k.sizesIn = 1, 2, 3
		if k.coord, err = b.stringAttr("coordinate_transformation_mode", "half_pixel"); err != nil {
			return nil, err
		}
		if k.nearest, err = b.stringAttr("nearest_mode", "round_prefer_floor"); err != nil {
			return nil, err
		}
		a, err := b.floatAttr("cubic_coeff_a", -0.75)
		if err != nil {
			return nil, err
		}
		k.cubicA = float64(a)
		if k.excludeOutside, err = b.boolAttr("exclude_outside", false); err != nil {
			return nil, err
		}
		e, err := b.floatAttr("extrapolation_value", 0)
		if err != nil {
			return nil, err
		}
		k.extrapolation = float64(e)
	}
	k.constParams = constParams(b, k.roiIn, k.scalesIn, k.sizesIn)
	return k, k.validate(b)
}

// constParams reports whether the inputs at the given positions are
// absent or constant.
func constParams(b *buildCtx, idx ...int) bool {
	for _, i := range idx {
		if i >= 0 && b.hasInput(i) && b.constInput(i) == nil {
			return false
		}
	}
	return true
}

func buildUpsample(b *buildCtx) (kernel, error) {
	k := &resizeKernel{roiIn: -1, scalesIn: 1, sizesIn: -1, coord: "asymmetric", nearest: "floor"}
	var err error
	if k.mode, err = b.stringAttr("mode", "nearest"); err != nil {
		return nil, err
	}
	if k.mode == "bilinear" {
		k.mode = "linear"
	}
	k.constParams = b.opset < 9 || constParams(b, k.scalesIn)
	if b.opset < 9 {
		k.scalesIn = -1
		if k.attrScales, err = b.floatsAttr("scales"); err != nil {
			return nil, err
		}
		if k.attrScales == nil {
			return nil, b.errorf("attribute scales is required")
		}
	}
	return k, k.validate(b)
}

func (k *resizeKernel) validate(b *buildCtx) error {
	switch k.mode {
	case "nearest", "linear", "cubic":
	default:
		return b.errorf("unsupported mode %q (want nearest, linear or cubic)", k.mode)
	}
	switch k.coord {
	case "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize":
	default:
		return b.errorf("unsupported coordinate_transformation_mode %q", k.coord)
	}
	switch k.nearest {
	case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return b.errorf("unsupported nearest_mode %q", k.nearest)
	}
	return nil
}

// optionalInput returns input i, nil when absent or empty.
func optionalInput(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < 0 || i >= len(in) || in[i] == nil || in[i].Len() == 0 {
		return nil
	}
	return in[i]
}

func (k *resizeKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	xs := x.Shape()
	r := len(xs)
	var roi []float64
	if t := optionalInput(in, k.roiIn); t != nil && k.coord == "tf_crop_and_resize" {
		v, err := toFloat64s(t)
		if err != nil || len(v) != 2*r {
			return fmt.Errorf("Resize roi must hold %d values, got %v", 2*r, t.Shape())
		}
		roi = v
	}
	outShape, scales, err := k.shapes(in, xs, roi)
	if err != nil {
		return err
	}
	if err := tensor.CheckShape(outShape); err != nil {
		return fmt.Errorf("Resize: %w", err)
	}
	if k.runFast(rc, x, outShape, scales, out) {
		return nil
	}
	// The output is computed in float64 first: bound that buffer, made
	// before the output itself.
	if err := rc.fits(tensor.Float64, outShape); err != nil {
		return fmt.Errorf("Resize: %w", err)
	}
	taps := make([][]axisTaps, r)
	for d := range r {
		var lo, hi float64
		if roi != nil {
			lo, hi = roi[d], roi[r+d]
		}
		taps[d] = k.axisTaps(xs[d], outShape[d], scales[d], lo, hi)
	}
	xv, err := toFloat64s(x)
	if err != nil {
		return fmt.Errorf("Resize: %w", err)
	}
	yv := make([]float64, tensor.NumElements(outShape))
	interpolate(yv, xv, xs, outShape, taps, k.extrapolation)
	y := rc.alloc(x.DType(), outShape)
	if x.DType().IsInteger() {
		for i, v := range yv {
			yv[i] = math.RoundToEven(v)
		}
	}
	castSlice(y.Data(), yv)
	out[0] = y
	return nil
}

// outputShape is the output's shape and the scale of each axis, from the
// sizes input, else the scales input or attribute (scaled by the roi's
// extent under tf_crop_and_resize).
func (k *resizeKernel) outputShape(in []*tensor.Tensor, xs []int, roi []float64) (outShape []int, scales []float64, err error) {
	r := len(xs)
	scales, outShape = make([]float64, r), make([]int, r)
	switch st, zt := optionalInput(in, k.scalesIn), optionalInput(in, k.sizesIn); {
	case zt != nil:
		sizes, err := int64sOf(zt)
		if err != nil || len(sizes) != r {
			return nil, nil, fmt.Errorf("Resize sizes must hold %d int64 values, got %v", r, zt)
		}
		for i, s := range sizes {
			if s < 0 || s > 1<<24 {
				return nil, nil, fmt.Errorf("Resize size %d is invalid", s)
			}
			outShape[i] = int(s)
			scales[i] = float64(s) / float64(max(xs[i], 1))
		}
	case st != nil || k.attrScales != nil:
		var sv []float64
		if st != nil {
			if sv, err = toFloat64s(st); err != nil {
				return nil, nil, fmt.Errorf("Resize scales: %w", err)
			}
		} else {
			sv = make([]float64, len(k.attrScales))
			castSlice(sv, k.attrScales)
		}
		if len(sv) != r {
			return nil, nil, fmt.Errorf("Resize has %d scales for an input of rank %d", len(sv), r)
		}
		for i, s := range sv {
			if !(s > 0) || s > 1<<16 {
				return nil, nil, fmt.Errorf("Resize scale %v is invalid", s)
			}
			scales[i] = s
			length := float64(xs[i])
			if roi != nil {
				length *= roi[r+i] - roi[i]
			}
			outShape[i] = int(math.Floor(length * s))
		}
	default:
		return nil, nil, fmt.Errorf("Resize needs scales or sizes")
	}
	return outShape, scales, nil
}

// axisTaps are the input positions and weights one output coordinate
// reads along one axis; outside marks a coordinate that maps outside the
// input under tf_crop_and_resize (the output takes the extrapolation
// value).
type axisTaps struct {
	idx     []int
	w       []float64
	outside bool
}

// axisTaps computes the taps of every output coordinate along an axis of
// input length n and output length m.
func (k *resizeKernel) axisTaps(n, m int, scale, roiLo, roiHi float64) []axisTaps {
	taps := make([]axisTaps, m)
	for o := range m {
		x := k.original(float64(o), scale, n, roiLo, roiHi)
		if k.coord == "tf_crop_and_resize" && (x < 0 || x > float64(n-1)) {
			taps[o].outside = true
			continue
		}
		// base and ratio in (0, 1] as the reference: the pixel left of x
		// is preferred.
		base := math.Ceil(x) - 1
		ratio := x - base
		var coeffs []float64
		first := int(base)
		switch k.mode {
		case "nearest":
			coeffs = k.nearestCoeffs(ratio)
		case "linear":
			coeffs = []float64{1 - ratio, ratio}
		case "cubic":
			coeffs = cubicCoeffs(ratio, k.cubicA)
			first--
		}
		t := axisTaps{}
		var sum float64
		for j, c := range coeffs {
			p := first + j
			if k.excludeOutside && (p < 0 || p >= n) {
				continue
			}
			sum += c
			if c == 0 {
				continue
			}
			t.idx = append(t.idx, min(max(p, 0), n-1))
			t.w = append(t.w, c)
		}
		if k.excludeOutside && sum != 0 {
			for j := range t.w {
				t.w[j] /= sum
			}
		}
		taps[o] = t
	}
	return taps
}

// original maps an output coordinate to the input as the ONNX reference
// implementation does, whose output length in the formulas is scale·n, a
// fraction when the scale does not divide evenly.
func (k *resizeKernel) original(x, scale float64, n int, roiLo, roiHi float64) float64 {
	mf := scale * float64(n)
	switch k.coord {
	case "half_pixel":
		return (x+0.5)/scale - 0.5
	case "pytorch_half_pixel":
		if mf == 1 {
			return -0.5
		}
		return (x+0.5)/scale - 0.5
	case "align_corners":
		if mf == 1 {
			return 0
		}
		return x * float64(n-1) / (mf - 1)
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / scale
	case "tf_crop_and_resize":
		if mf == 1 {
			return 0.5 * (roiLo + roiHi) * float64(n-1)
		}
		return roiLo*float64(n-1) + x*(roiHi-roiLo)*float64(n-1)/(mf-1)
	}
	return x / scale // asymmetric
}

func (k *resizeKernel) nearestCoeffs(ratio float64) []float64 {
	if ratio == 1 {
		return []float64{0, 1}
	}
	var left bool
	switch k.nearest {
	case "round_prefer_floor":
		left = ratio <= 0.5
	case "round_prefer_ceil":
		left = ratio < 0.5
	case "floor":
		left = true
	case "ceil":
		left = false
	}
	if left {
		return []float64{1, 0}
	}
	return []float64{0, 1}
}

func cubicCoeffs(r, a float64) []float64 {
	return []float64{
		((a*(r+1)-5*a)*(r+1)+8*a)*(r+1) - 4*a,
		((a+2)*r-(a+3))*r*r + 1,
		((a+2)*(1-r)-(a+3))*(1-r)*(1-r) + 1,
		((a*((1-r)+1)-5*a)*((1-r)+1)+8*a)*((1-r)+1) - 4*a,
	}
}

// interpolate fills y (shape out) from x (shape in) through the taps of
// every axis.
func interpolate(y, x []float64, in, out []int, taps [][]axisTaps, extrapolation float64) {
	r := len(in)
	inStrides := tensor.Strides(in)
	oidx := make([]int, r)
	var sum func(d, off int, w float64) float64
	sum = func(d, off int, w float64) float64 {
		if d == r {
			return w * x[off]
		}
		t := &taps[d][oidx[d]]
		var s float64
		for j, i := range t.idx {
			s += sum(d+1, off+i*inStrides[d], w*t.w[j])
		}
		return s
	}
	for o := range y {
		outside := false
		for d := range r {
			outside = outside || taps[d][oidx[d]].outside
		}
		if outside {
			y[o] = extrapolation
		} else {
			y[o] = sum(0, 0, 1)
		}
		nextIndex(oidx, out)
	}
}
