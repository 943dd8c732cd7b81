package native

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"github.com/inferd/inferd/tensor"
)

// MaxPool and AveragePool over 1-D and 2-D inputs: pads or auto_pad,
// strides, ceil_mode, dilations (MaxPool), count_include_pad
// (AveragePool), and MaxPool's optional Indices output (storage_order 0 or
// 1, indices into the flattened input). More than 2 spatial dimensions, and
// integer inputs, run the N-D kernel of window_nd.go in float64.

func init() {
	register("MaxPool", func(b *buildCtx) (kernel, error) { return buildPool(b, true) })
	register("AveragePool", func(b *buildCtx) (kernel, error) { return buildPool(b, false) })
}

type poolKernel struct {
	win            window
	isMax          bool
	ceil           bool
	countPad       bool
	columnMajorIdx bool
	wantIndices    bool
	// setup caches the setup of the last input.
	setup *poolSetupSlot
}

func buildPool(b *buildCtx, isMax bool) (kernel, error) {
	win, err := parseWindow(b, isMax)
	if err != nil {
		return nil, err
	}
	if win.kernel == nil {
		return nil, b.errorf("attribute kernel_shape is required")
	}
	if len(win.kernel) < 1 {
		return nil, b.errorf("attribute kernel_shape is empty")
	}
	k := &poolKernel{win: win, isMax: isMax, setup: &poolSetupSlot{}}
	if k.ceil, err = b.boolAttr("ceil_mode", false); err != nil {
		return nil, err
	}
	if isMax {
		order, err := b.intAttr("storage_order", 0)
		if err != nil {
			return nil, err
		}
		if order != 0 && order != 1 {
			return nil, b.errorf("attribute storage_order is %d, want 0 or 1", order)
		}
		k.columnMajorIdx = order == 1
		k.wantIndices = b.hasOutput(1)
	} else {
		if k.countPad, err = b.boolAttr("count_include_pad", false); err != nil {
			return nil, err
		}
		if b.hasOutput(1) {
			return nil, b.errorf("AveragePool has one output")
		}
	}
	return k, nil
}

// poolProblem is one pooling evaluation resolved to 2-D.
type poolProblem struct {
	geo      geometry
	planes   int
	countPad bool
	colMajor bool
}

// poolSetup is what a pooling derives from its input's type and shape,
// cached (poolSetupSlot) so that steady-state runs allocate none of it:
// the geometry, the output shape and the fast path, if one applies.
type poolSetup struct {
	xs     []int
	dt     tensor.DType
	geo    geometry
	yShape []int
	p      poolProblem
	// nd selects the N-D kernel; else inside or taps, when not nil, is
	// the fast float32 max pooling.
	nd     bool
	inside *insidePool
	taps   *tapsPool
}

// poolSetupSlot holds the setup of the last input a pooling ran with,
// like convSetupSlot.
type poolSetupSlot struct{ p atomic.Pointer[poolSetup] }

// setupFor returns the setup for input x, cached when it is for x's type and
// shape and the current tap kernel.
func (k *poolKernel) setupFor(x *tensor.Tensor) (*poolSetup, error) {
	xs := x.Shape()
	ps := k.setup.p.Load()
	if ps != nil && ps.dt == x.DType() && slices.Equal(ps.xs, xs) &&
		(ps.inside == nil || ps.inside.tk == defaultTaps()) && (ps.taps == nil || ps.taps.tk == defaultTaps()) {
		return ps, nil
	}
	geo, err := k.win.resolve(xs[2:], k.win.kernel, k.ceil)
	if err != nil {
		return nil, err
	}
	ps = &poolSetup{xs: slices.Clone(xs), dt: x.DType(), geo: geo, yShape: append([]int{xs[0], xs[1]}, geo.out...),
		p:  poolProblem{geo: geo.as2D(), planes: xs[0] * xs[1], countPad: k.countPad, colMajor: k.columnMajorIdx},
		nd: len(geo.in) > 2 || x.DType() != tensor.Float32 && x.DType() != tensor.Float64}
	if !ps.nd && x.DType() == tensor.Float32 && k.isMax && !k.wantIndices {
		if ps.p.geo.out[1] < 32 {
			ps.inside = planMaxPoolInside(&ps.p.geo, ps.p.planes)
		}
		if ps.inside == nil {
			ps.taps = planMaxPoolTaps(&ps.p.geo, ps.p.planes)
		}
	}
	k.setup.p.Store(ps)
	return ps, nil
}

func (k *poolKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	xs := x.Shape()
	if len(xs) != len(k.win.kernel)+2 {
		return fmt.Errorf("pooling input of shape %v does not have %d spatial dimensions", xs, len(k.win.kernel))
	}
	ps, err := k.setupFor(x)
	if err != nil {
		return err
	}
	y := rc.alloc(x.DType(), ps.yShape)
	var idx []int64
	if k.wantIndices {
		it := rc.alloc(tensor.Int64, ps.yShape)
		idx = tensor.Data[int64](it)
		out[1] = it
	}
	switch {
	case ps.nd:
		if x.DType() == tensor.String || x.DType() == tensor.Bool || x.DType() == tensor.Float16 {
			return dtypeError("pooling", x.DType())
		}
		xf := make([]float64, x.Len())
		castSlice(xf, x.Data())
		yf := make([]float64, y.Len())
		poolND(rc, &ps.geo, xs[0]*xs[1], xf, yf, idx, k.isMax, k.countPad)
		castSlice(y.Data(), yf)
	case ps.inside != nil:
		ps.inside.pool(rc, tensor.Data[float32](x), tensor.Data[float32](y))
	case ps.taps != nil:
		ps.taps.pool(rc, tensor.Data[float32](x), tensor.Data[float32](y))
	case x.DType() == tensor.Float32:
		poolT(rc, &ps.p, tensor.Data[float32](y), tensor.Data[float32](x), idx, k.isMax)
	default:
		poolT(rc, &ps.p, tensor.Data[float64](y), tensor.Data[float64](x), idx, k.isMax)
	}
	out[0] = y
	return nil
}

// poolT pools every plane of x into y (and the argmax into idx when not
// nil).
func poolT[T float](rc *runCtx, p *poolProblem, y, x []T, idx []int64, isMax bool) {
	g := &p.geo
	h, w := g.in[0], g.in[1]
	oh, ow := g.out[0], g.out[1]
	kh, kw := g.kernel[0], g.kernel[1]
	sh, sw := g.stride[0], g.stride[1]
	dh, dw := g.dilation[0], g.dilation[1]
	pt, pl := g.padBegin[0], g.padBegin[1]
	if len(y) == 0 {
		return
	}
	// Windows entirely in padding yield the lowest finite value, as in
	// ONNX Runtime.
	lowest := T(-math.MaxFloat32)
	if _, f64 := any(lowest).(float64); f64 {
		low64 := -math.MaxFloat64
		lowest = T(low64)
	}
	parallelFor(rc.threads, p.planes, max(1, elemGrain/(oh*ow*kh*kw)), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			plane := x[c*h*w : (c+1)*h*w]
			for oy := range oh {
				y0 := oy*sh - pt
				ilo, ihi := windowRange(y0, kh, dh, h)
				for ox := range ow {
					x0 := ox*sw - pl
					jlo, jhi := windowRange(x0, kw, dw, w)
					o := (c*oh+oy)*ow + ox
					if isMax {
						best, arg := lowest, -1
						for i := ilo; i < ihi; i++ {
							iy := y0 + i*dh
							for j := jlo; j < jhi; j++ {
								ix := x0 + j*dw
								if v := plane[iy*w+ix]; v > best || arg < 0 {
									best, arg = v, iy*w+ix
								}
							}
						}
						y[o] = best
						if idx != nil {
							idx[o] = -1
							if arg >= 0 {
								idx[o] = int64(c*h*w + arg)
								if p.colMajor {
									idx[o] = int64(c*h*w + arg%w*h + arg/w)
								}
							}
						}
						continue
					}
					var sum T
					for i := ilo; i < ihi; i++ {
						row := plane[(y0+i)*w : (y0+i+1)*w]
						for j := jlo; j < jhi; j++ {
							sum += row[x0+j]
						}
					}
					count := (ihi - ilo) * (jhi - jlo)
					if p.countPad {
						// The window clipped to the padded input, as ONNX
						// Runtime counts it.
						count = (min(y0+kh, h+g.padEnd[0]) - y0) * (min(x0+kw, w+g.padEnd[1]) - x0)
					}
					if count > 0 {
						y[o] = sum / T(count)
					} else {
						y[o] = 0
					}
				}
			}
		}
	})
}

// windowRange returns the kernel taps [lo, hi) of a window starting at
// input position start (stride between taps dil) that fall in [0, size).
func windowRange(start, taps, dil, size int) (lo, hi int) {
	if start < 0 {
		lo = (-start + dil - 1) / dil
	}
	hi = taps
	if last := start + (taps-1)*dil; last >= size {
		hi = (size-1-start)/dil + 1
		if size-1-start < 0 {
			hi = 0
		}
	}
	if hi < lo {
		hi = lo
	}
	return min(lo, taps), min(hi, taps)
}
