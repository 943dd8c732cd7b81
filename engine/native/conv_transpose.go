package native

import (
	"fmt"
	"slices"
	"sync"

	"github.com/inferd/inferd/tensor"
)

// ConvTranspose (the gradient of Conv with respect to its input) over any
// number of spatial dimensions: groups, strides, dilations, pads or
// auto_pad, output_padding and output_shape, optional bias. One and two
// spatial dimensions go through a matrix product (conv_transpose_gemm.go);
// more are computed in gather form, one output plane per task: output
// position o receives input position i through tap k where
// i·stride - pad + k·dilation = o.

func init() { register("ConvTranspose", buildConvTranspose) }

type convTransposeKernel struct {
	win         window
	group       int
	outPadding  []int
	outputShape []int

	// The geometries of the last few input and weight shapes.
	mu     sync.Mutex
	recent recent[convTransposeGeometry]
}

// convTransposeGeometry is what the input and weight shapes make of a
// ConvTranspose: kept for the last shapes (on the heap, so that runs
// pass it without allocating), replaced but never changed.
type convTransposeGeometry struct {
	xs, ws []int
	geo    geometry
	yShape []int
	// plane is the geometry as 2-D, nil for three or more dimensions.
	plane *plane2D
}

// geometryFor is the geometry for x and w's shapes, remembered for the
// last few shapes.
func (k *convTransposeKernel) geometryFor(tag uint64, xs, ws []int, m int) (*convTransposeGeometry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if g := k.recent.find(tag, func(g *convTransposeGeometry) bool { return slices.Equal(g.xs, xs) && slices.Equal(g.ws, ws) }); g != nil {
		return g, nil
	}
	geo, err := k.geometry(slices.Clone(xs[2:]), slices.Clone(ws[2:]))
	if err != nil {
		return nil, err
	}
	g := &convTransposeGeometry{xs: slices.Clone(xs), ws: slices.Clone(ws), geo: geo}
	g.yShape = append([]int{xs[0], m}, geo.out...)
	if p, ok := as2D(&g.geo); ok {
		g.plane = &p
	}
	k.recent.add(tag, g)
	return g, nil
}

func buildConvTranspose(b *buildCtx) (kernel, error) {
	if !b.hasInput(0) || !b.hasInput(1) {
		return nil, b.errorf("ConvTranspose needs inputs X and W")
	}
	win, err := parseWindow(b, true)
	if err != nil {
		return nil, err
	}
	group, err := b.intAttr("group", 1)
	if err != nil {
		return nil, err
	}
	if group < 1 || group > 1<<20 {
		return nil, b.errorf("attribute group is %d, want at least 1", group)
	}
	k := &convTransposeKernel{win: win, group: int(group)}
	op, err := b.intsAttr("output_padding")
	if err != nil {
		return nil, err
	}
	os, err := b.intsAttr("output_shape")
	if err != nil {
		return nil, err
	}
	for _, v := range append(append([]int64(nil), op...), os...) {
		if v < 0 || v > 1<<24 {
			return nil, b.errorf("attributes output_padding %v and output_shape %v must be small non-negative values", op, os)
		}
	}
	if op != nil {
		k.outPadding = toInts(op)
	}
	if os != nil {
		k.outputShape = toInts(os)
	}
	return k, nil
}

// geometry resolves the output sizes and pads for input sizes in and kernel
// sizes ks.
func (k *convTransposeKernel) geometry(in, ks []int) (geometry, error) {
	r := len(in)
	g := geometry{in: in, kernel: ks, out: make([]int, r), stride: make([]int, r), dilation: make([]int, r),
		padBegin: make([]int, r), padEnd: make([]int, r)}
	if err := k.win.checkRank(r); err != nil {
		return g, err
	}
	if k.outPadding != nil && len(k.outPadding) != r || k.outputShape != nil && len(k.outputShape) < r {
		return g, fmt.Errorf("output_padding %v or output_shape %v do not have %d values", k.outPadding, k.outputShape, r)
	}
	for i := range r {
		g.stride[i], g.dilation[i] = 1, 1
		if k.win.strides != nil {
			g.stride[i] = k.win.strides[i]
		}
		if k.win.dilations != nil {
			g.dilation[i] = k.win.dilations[i]
		}
		opad := 0
		if k.outPadding != nil {
			opad = k.outPadding[i]
		}
		full := g.stride[i]*(in[i]-1) + opad + (ks[i]-1)*g.dilation[i] + 1
		target := -1
		switch {
		case k.outputShape != nil:
			target = k.outputShape[len(k.outputShape)-r+i]
		case k.win.autoPad == "SAME_UPPER" || k.win.autoPad == "SAME_LOWER":
			target = in[i] * g.stride[i]
		}
		if target >= 0 {
			total := max(0, full-target)
			if k.win.autoPad == "SAME_UPPER" {
				g.padBegin[i], g.padEnd[i] = total/2, total-total/2
			} else {
				g.padBegin[i], g.padEnd[i] = total-total/2, total/2
			}
			g.out[i] = target
			continue
		}
		if k.win.pads != nil && k.win.autoPad == "NOTSET" {
			g.padBegin[i], g.padEnd[i] = k.win.pads[i], k.win.pads[r+i]
		}
		g.out[i] = full - g.padBegin[i] - g.padEnd[i]
		if g.out[i] < 0 {
			return g, fmt.Errorf("pads make spatial dimension %d negative", i)
		}
	}
	return g, nil
}

func (k *convTransposeKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x, w := in[0], in[1]
	var bias *tensor.Tensor
	if len(in) > 2 {
		bias = in[2]
	}
	if err := sameDType("ConvTranspose", x, w, bias); err != nil {
		return err
	}
	if x.DType() != tensor.Float32 {
		return dtypeError("ConvTranspose", x.DType())
	}
	xs, ws := x.Shape(), w.Shape()
	if len(xs) < 3 || len(ws) != len(xs) || xs[1] != ws[0] || ws[0]%k.group != 0 {
		return fmt.Errorf("ConvTranspose input of shape %v does not fit weights of shape %v with group %d", xs, ws, k.group)
	}
	if k.win.kernel != nil {
		for i, d := range k.win.kernel {
			if i+2 >= len(ws) || ws[i+2] != d {
				return fmt.Errorf("kernel_shape %v does not match weights of shape %v", k.win.kernel, ws)
			}
		}
	}
	batch, c := xs[0], xs[1]
	mg := ws[1]
	m := mg * k.group
	if bias != nil && bias.Len() != m {
		return fmt.Errorf("ConvTranspose bias of shape %v does not match %d output channels", bias.Shape(), m)
	}
	g, err := k.geometryFor(rc.tag, xs, ws, m)
	if err != nil {
		return fmt.Errorf("ConvTranspose: %w", err)
	}
	y := rc.alloc(tensor.Float32, g.yShape)
	var bd []float32
	if bias != nil {
		bd = tensor.Data[float32](bias)
	}
	if g.plane != nil {
		convTransposeGemm(rc, g.plane, batch, c, m, k.group, tensor.Data[float32](x), tensor.Data[float32](w), bd, tensor.Data[float32](y))
	} else {
		convTransposeND(rc, &g.geo, batch, c, m, k.group, tensor.Data[float32](x), tensor.Data[float32](w), bd, tensor.Data[float32](y))
	}
	out[0] = y
	return nil
}

func convTransposeND(rc *runCtx, g *geometry, batch, c, m, group int, x, w, bias, y []float32) {
	inSize, outSize, kSize := prod(g.in), prod(g.out), prod(g.kernel)
	cg, mg := c/group, m/group
	r := len(g.in)
	parallelFor(rc.threads, batch*m, 1, func(lo, hi int) {
		oidx := make([]int, r)
		kidx := make([]int, r)
		offs := make([]int, kSize)
		for t := lo; t < hi; t++ {
			n, oc := t/m, t%m
			grp, mo := oc/mg, oc%mg
			yp := y[t*outSize : (t+1)*outSize]
			clear(oidx)
			for o := range yp {
				// Input offset of each tap, or -1.
				clear(kidx)
				for tap := range offs {
					off := 0
					for d := range r {
						num := oidx[d] + g.padBegin[d] - kidx[d]*g.dilation[d]
						if num < 0 || num%g.stride[d] != 0 || num/g.stride[d] >= g.in[d] {
							off = -1
							break
						}
						off = off*g.in[d] + num/g.stride[d]
					}
					offs[tap] = off
					nextIndex(kidx, g.kernel)
				}
				var sum float64
				if bias != nil {
					sum = float64(bias[oc])
				}
				for ci := range cg {
					ic := grp*cg + ci
					xp := x[(n*c+ic)*inSize:]
					wp := w[(ic*mg+mo)*kSize:]
					for tap, off := range offs {
						if off >= 0 {
							sum += float64(xp[off]) * float64(wp[tap])
						}
					}
				}
				yp[o] = float32(sum)
				nextIndex(oidx, g.out)
			}
		}
	})
}
