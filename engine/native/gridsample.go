package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// GridSample (opset 16) samples a 4-D input at the normalised [-1, 1]
// positions of a grid, as PyTorch's grid_sample: bilinear, nearest (half
// to even) or bicubic (a = -0.75), with zeros, border or reflection
// padding and align_corners.

func init() { registerSince("GridSample", 16, buildGridSample) }

type gridSample struct {
	mode, padding string
	alignCorners  bool
}

func buildGridSample(b *buildCtx) (kernel, error) {
	k := &gridSample{}
	var err error
	if k.mode, err = b.stringAttr("mode", "bilinear"); err != nil {
		return nil, err
	}
	if k.padding, err = b.stringAttr("padding_mode", "zeros"); err != nil {
		return nil, err
	}
	if k.alignCorners, err = b.boolAttr("align_corners", false); err != nil {
		return nil, err
	}
	if k.mode != "bilinear" && k.mode != "nearest" && k.mode != "bicubic" {
		return nil, b.errorf("attribute mode is %q, want bilinear, nearest or bicubic", k.mode)
	}
	if k.padding != "zeros" && k.padding != "border" && k.padding != "reflection" {
		return nil, b.errorf("attribute padding_mode is %q, want zeros, border or reflection", k.padding)
	}
	return k, nil
}

func (k *gridSample) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x, grid := in[0], in[1]
	xs, gs := x.Shape(), grid.Shape()
	if len(xs) != 4 || len(gs) != 4 || gs[0] != xs[0] || gs[3] != 2 {
		return fmt.Errorf("GridSample input %v and grid %v do not match (want [N, C, H, W] and [N, H_out, W_out, 2])", xs, gs)
	}
	xv, err := floatsOf(x)
	if err != nil {
		return fmt.Errorf("GridSample: %w", err)
	}
	gv, err := floatsOf(grid)
	if err != nil {
		return fmt.Errorf("GridSample grid: %w", err)
	}
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	oh, ow := gs[1], gs[2]
	res := make([]float64, n*c*oh*ow)
	for b := range n {
		for i := range oh * ow {
			gx, gy := gv[(b*oh*ow+i)*2], gv[(b*oh*ow+i)*2+1]
			for ch := range c {
				plane := xv[(b*c+ch)*h*w : (b*c+ch+1)*h*w]
				res[((b*c+ch)*oh*ow)+i] = k.sample(plane, h, w, gx, gy)
			}
		}
	}
	y := rc.alloc(x.DType(), []int{n, c, oh, ow})
	castSlice(y.Data(), res)
	out[0] = y
	return nil
}

// unnormalize maps a [-1, 1] coordinate to pixels.
func (k *gridSample) unnormalize(v float64, size int) float64 {
	if k.alignCorners {
		return (v + 1) / 2 * float64(size-1)
	}
	return ((v+1)*float64(size) - 1) / 2
}

// pad applies border or reflection padding to a pixel coordinate.
func (k *gridSample) pad(v float64, size int) float64 {
	switch k.padding {
	case "border":
		return min(max(v, 0), float64(size-1))
	case "reflection":
		if k.alignCorners {
			v = reflect(v, 0, 2*float64(size-1))
		} else {
			v = reflect(v, -1, 2*float64(size)-1)
		}
		return min(max(v, 0), float64(size-1))
	}
	return v
}

// reflect folds v into [low/2, high/2] by reflection.
func reflect(v, twiceLow, twiceHigh float64) float64 {
	if twiceLow == twiceHigh {
		return 0
	}
	lo, span := twiceLow/2, (twiceHigh-twiceLow)/2
	v = math.Abs(v - lo)
	extra := math.Mod(v, span)
	if int(math.Floor(v/span))%2 == 0 {
		return extra + lo
	}
	return span - extra + lo
}

// at reads pixel (y, x), 0 outside the plane.
func at(plane []float64, h, w, y, x int) float64 {
	if y < 0 || y >= h || x < 0 || x >= w {
		return 0
	}
	return plane[y*w+x]
}

func (k *gridSample) sample(plane []float64, h, w int, gx, gy float64) float64 {
	x, y := k.unnormalize(gx, w), k.unnormalize(gy, h)
	switch k.mode {
	case "nearest":
		x, y = k.pad(x, w), k.pad(y, h)
		return at(plane, h, w, int(math.RoundToEven(y)), int(math.RoundToEven(x)))
	case "bilinear":
		x, y = k.pad(x, w), k.pad(y, h)
		x0, y0 := math.Floor(x), math.Floor(y)
		tx, ty := x-x0, y-y0
		ix, iy := int(x0), int(y0)
		return at(plane, h, w, iy, ix)*(1-tx)*(1-ty) + at(plane, h, w, iy, ix+1)*tx*(1-ty) +
			at(plane, h, w, iy+1, ix)*(1-tx)*ty + at(plane, h, w, iy+1, ix+1)*tx*ty
	}
	// bicubic: padding applies to each tap.
	x0, y0 := math.Floor(x), math.Floor(y)
	cx, cy := cubicCoeffs(x-x0, -0.75), cubicCoeffs(y-y0, -0.75)
	var s float64
	for j := range 4 {
		for i := range 4 {
			px := k.pad(x0-1+float64(i), w)
			py := k.pad(y0-1+float64(j), h)
			s += cx[i] * cy[j] * at(plane, h, w, int(py), int(px))
		}
	}
	return s
}
