package native

import (
	"fmt"
	"slices"
)

// window holds the sliding-window attributes Conv and the pooling
// operators share: auto_pad, kernel_shape, strides, dilations and pads
// (begin values for every spatial axis, then end values). Nil slices are
// absent attributes.
type window struct {
	autoPad   string
	kernel    []int
	strides   []int
	dilations []int
	pads      []int
}

// parseWindow reads and validates the window attributes of b's node.
func parseWindow(b *buildCtx, withDilations bool) (window, error) {
	var w window
	var err error
	if w.autoPad, err = b.stringAttr("auto_pad", "NOTSET"); err != nil {
		return w, err
	}
	switch w.autoPad {
	case "", "NOTSET":
		w.autoPad = "NOTSET"
	case "SAME_UPPER", "SAME_LOWER", "VALID":
	default:
		return w, b.errorf("unsupported auto_pad %q (want NOTSET, SAME_UPPER, SAME_LOWER or VALID)", w.autoPad)
	}
	read := func(name string, minValue int) ([]int, error) {
		v, err := b.intsAttr(name)
		if err != nil || v == nil {
			return nil, err
		}
		for _, x := range v {
			if x < int64(minValue) || x > 1<<20 {
				return nil, b.errorf("attribute %s has invalid value %v", name, v)
			}
		}
		return toInts(v), nil
	}
	if w.kernel, err = read("kernel_shape", 1); err != nil {
		return w, err
	}
	if w.strides, err = read("strides", 1); err != nil {
		return w, err
	}
	if withDilations {
		if w.dilations, err = read("dilations", 1); err != nil {
			return w, err
		}
	} else if err := b.rejectAttr("dilations", "this operator version has no dilations"); err != nil {
		return w, err
	}
	if w.pads, err = read("pads", 0); err != nil {
		return w, err
	}
	if w.pads != nil && w.autoPad != "NOTSET" {
		return w, b.errorf("pads cannot be used with auto_pad %s", w.autoPad)
	}
	if r := w.rank(); r > 0 {
		if err := w.checkRank(r); err != nil {
			return w, b.errorf("%v", err)
		}
	}
	return w, nil
}

// rank is the number of spatial axes the attributes imply, 0 if none do.
func (w *window) rank() int {
	switch {
	case w.kernel != nil:
		return len(w.kernel)
	case w.strides != nil:
		return len(w.strides)
	case w.dilations != nil:
		return len(w.dilations)
	case w.pads != nil:
		return len(w.pads) / 2
	}
	return 0
}

// checkRank verifies that every attribute present has r spatial axes.
func (w *window) checkRank(r int) error {
	for _, a := range []struct {
		name string
		v    []int
		n    int
	}{{"kernel_shape", w.kernel, r}, {"strides", w.strides, r}, {"dilations", w.dilations, r}, {"pads", w.pads, 2 * r}} {
		if a.v != nil && len(a.v) != a.n {
			return fmt.Errorf("attribute %s has %d values, want %d for %d spatial dimensions", a.name, len(a.v), a.n, r)
		}
	}
	return nil
}

// geometry is a window resolved against concrete input sizes.
type geometry struct {
	in, out, kernel, stride, dilation, padBegin, padEnd []int
}

// resolve computes output sizes and effective pads for spatial input sizes
// in and kernel sizes kernel. ceil selects ceil_mode (pooling), where a
// window that would start in the end padding is dropped, as ONNX Runtime
// and PyTorch do.
func (w *window) resolve(in, kernel []int, ceil bool) (geometry, error) {
	r := len(in)
	g := geometry{
		in: slices.Clone(in), kernel: slices.Clone(kernel),
		out: make([]int, r), stride: make([]int, r), dilation: make([]int, r),
		padBegin: make([]int, r), padEnd: make([]int, r),
	}
	if err := w.checkRank(r); err != nil {
		return g, err
	}
	for i := range r {
		g.stride[i], g.dilation[i] = 1, 1
		if w.strides != nil {
			g.stride[i] = w.strides[i]
		}
		if w.dilations != nil {
			g.dilation[i] = w.dilations[i]
		}
		span := (kernel[i]-1)*g.dilation[i] + 1
		switch w.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			g.out[i] = (in[i] + g.stride[i] - 1) / g.stride[i]
			total := max(0, (g.out[i]-1)*g.stride[i]+span-in[i])
			g.padBegin[i] = total / 2
			if w.autoPad == "SAME_LOWER" {
				g.padBegin[i] = total - total/2
			}
			g.padEnd[i] = total - g.padBegin[i]
		default:
			if w.pads != nil && w.autoPad == "NOTSET" {
				g.padBegin[i], g.padEnd[i] = w.pads[i], w.pads[r+i]
			}
			size := in[i] + g.padBegin[i] + g.padEnd[i] - span
			if size < 0 {
				return g, fmt.Errorf("spatial dimension %d of size %d (padded %d) is smaller than the kernel extent %d", i, in[i], in[i]+g.padBegin[i]+g.padEnd[i], span)
			}
			g.out[i] = size/g.stride[i] + 1
			if ceil && size%g.stride[i] != 0 {
				g.out[i]++
				if (g.out[i]-1)*g.stride[i] >= in[i]+g.padBegin[i] {
					g.out[i]--
				}
			}
		}
	}
	return g, nil
}

// as2D extends a 1-D geometry to 2-D with a unit height, so that 1-D
// operators run through the 2-D kernels.
func (g geometry) as2D() geometry {
	if len(g.in) != 1 {
		return g
	}
	one := func(v []int, first int) []int { return []int{first, v[0]} }
	return geometry{
		in: one(g.in, 1), out: one(g.out, 1), kernel: one(g.kernel, 1), stride: one(g.stride, 1),
		dilation: one(g.dilation, 1), padBegin: one(g.padBegin, 0), padEnd: one(g.padEnd, 0),
	}
}
