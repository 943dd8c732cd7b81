package perf

import (
	"slices"

	"github.com/inferd/inferd/onnx"
)

// window computes the output shape of Conv, ConvTranspose and the pooling
// operators, or nil when it is not known.
func (s *shapes) window(n *onnx.Node) []int {
	x, ok := s.in(n, 0)
	if !ok || len(x) < 3 {
		return nil
	}
	out, kernel, ok := s.windowChannels(n, x)
	if !ok {
		return nil
	}
	w, ok := windowAttrs(n, kernel, len(x)-2)
	if !ok {
		return nil
	}
	if n.OpType == "ConvTranspose" {
		return w.transposed(n, out, x[2:])
	}
	return w.forward(out, x[2:])
}

// windowChannels returns the output's first two dimensions (batch and
// channels) and the kernel's shape: the attribute's, else for a
// convolution its weights'. ok is false when a convolution's weights are
// unknown or not of the input's rank.
func (s *shapes) windowChannels(n *onnx.Node, x []int) (out, kernel []int, ok bool) {
	out = []int{x[0], x[1]}
	kernel = toInts(n.AttrInts("kernel_shape", nil))
	if n.OpType != "Conv" && n.OpType != "ConvTranspose" {
		return out, kernel, true
	}
	w, ok := s.in(n, 1)
	if !ok || len(w) != len(x) {
		return nil, nil, false
	}
	if kernel == nil {
		kernel = w[2:]
	}
	out[1] = w[0]
	if n.OpType == "ConvTranspose" {
		out[1] = w[1] * int(n.AttrInt("group", 1))
	}
	return out, kernel, true
}

// windowSpec is a window operator's geometry: per spatial axis, the
// kernel, strides and dilations; the pads, begins then ends.
type windowSpec struct {
	kernel, strides, dil, pads []int
	autoPad                    string
	ceil                       bool
}

// windowAttrs reads n's geometry for a kernel of the given shape; ok is
// false unless every attribute has a value per spatial axis.
func windowAttrs(n *onnx.Node, kernel []int, spatial int) (*windowSpec, bool) {
	if len(kernel) != spatial {
		return nil, false
	}
	w := &windowSpec{kernel: kernel, strides: ones(toInts(n.AttrInts("strides", nil)), spatial),
		dil: ones(toInts(n.AttrInts("dilations", nil)), spatial), pads: toInts(n.AttrInts("pads", nil))}
	if w.pads == nil {
		w.pads = make([]int, 2*spatial)
	}
	if len(w.strides) != spatial || len(w.dil) != spatial || len(w.pads) != 2*spatial {
		return nil, false
	}
	w.autoPad = n.AttrString("auto_pad", "NOTSET")
	w.ceil = n.AttrInt("ceil_mode", 0) != 0
	return w, true
}

// transposed appends to out ConvTranspose's spatial output sizes for
// input sizes in: output_shape when given, else from the geometry and
// output_padding.
func (w *windowSpec) transposed(n *onnx.Node, out, in []int) []int {
	spatial := len(in)
	if os := toInts(n.AttrInts("output_shape", nil)); len(os) == spatial {
		return append(out, os...)
	}
	opad := toInts(n.AttrInts("output_padding", nil))
	for i := range spatial {
		o := w.strides[i]*(in[i]-1) + (w.kernel[i]-1)*w.dil[i] + 1 - w.pads[i] - w.pads[i+spatial]
		if len(opad) == spatial {
			o += opad[i]
		}
		if w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER" {
			o = in[i] * w.strides[i]
		}
		out = append(out, o)
	}
	return out
}

// forward appends to out a convolution's or pooling's spatial output
// sizes for input sizes in, or returns nil when one is not positive.
func (w *windowSpec) forward(out, in []int) []int {
	spatial := len(in)
	for i := range spatial {
		k := (w.kernel[i]-1)*w.dil[i] + 1
		var o int
		switch w.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			o = (in[i] + w.strides[i] - 1) / w.strides[i]
		case "VALID":
			o = (in[i]-k)/w.strides[i] + 1
		default:
			span := in[i] + w.pads[i] + w.pads[i+spatial] - k
			o = span/w.strides[i] + 1
			if w.ceil && span%w.strides[i] != 0 {
				o++
			}
		}
		if o <= 0 {
			return nil
		}
		out = append(out, o)
	}
	return out
}

// broadcast returns the numpy broadcast of two shapes (a nil a is the
// identity), or nil when they do not broadcast.
func broadcast(a, b []int) []int {
	if a == nil {
		return slices.Clone(b)
	}
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range n {
		x, y := dimFromEnd(a, n-1-i), dimFromEnd(b, n-1-i)
		switch {
		case x == y, y == 1:
			out[i] = x
		case x == 1:
			out[i] = y
		default:
			return nil
		}
	}
	return out
}

// dimFromEnd returns dimension k counted from the end of s, 1 past its
// start.
func dimFromEnd(s []int, k int) int {
	if k >= len(s) {
		return 1
	}
	return s[len(s)-1-k]
}

// matmulShape is numpy's matmul shape rule.
func matmulShape(a, b []int) []int {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	a2, b2 := a, b
	if len(a) == 1 {
		a2 = []int{1, a[0]}
	}
	if len(b) == 1 {
		b2 = []int{b[0], 1}
	}
	if a2[len(a2)-1] != b2[len(b2)-2] {
		return nil
	}
	batch := broadcast(a2[:len(a2)-2], b2[:len(b2)-2])
	if batch == nil {
		return nil
	}
	out := batch
	if len(a) > 1 {
		out = append(out, a2[len(a2)-2])
	}
	if len(b) > 1 {
		out = append(out, b2[len(b2)-1])
	}
	return out
}

// reshape applies an ONNX Reshape target (0 copies, -1 infers).
func reshape(x []int, target []int64, allowZero bool) []int {
	out := make([]int, len(target))
	infer := -1
	known := 1
	for i, t := range target {
		switch {
		case t == -1 && infer < 0:
			infer = i
			continue
		case t == 0 && !allowZero:
			if i >= len(x) {
				return nil
			}
			out[i] = x[i]
		case t >= 0:
			out[i] = int(t)
		default:
			return nil
		}
		known *= out[i]
	}
	if infer >= 0 {
		if known == 0 || prod(x)%known != 0 {
			return nil
		}
		out[infer] = prod(x) / known
	}
	if prod(out) != prod(x) {
		return nil
	}
	return out
}

// squeeze removes (or, for unsqueeze, inserts) size-1 axes.
func squeeze(x []int, axes []int64, unsqueeze bool) []int {
	if unsqueeze {
		rank := len(x) + len(axes)
		ins := map[int]bool{}
		for _, a := range axes {
			ins[normAxis(int(a), rank)] = true
		}
		out := make([]int, 0, rank)
		j := 0
		for i := range rank {
			if ins[i] {
				out = append(out, 1)
			} else if j < len(x) {
				out = append(out, x[j])
				j++
			}
		}
		return out
	}
	drop := map[int]bool{}
	for _, a := range axes {
		drop[normAxis(int(a), len(x))] = true
	}
	var out []int
	for i, d := range x {
		if (axes == nil && d == 1) || drop[i] {
			continue
		}
		out = append(out, d)
	}
	if out == nil {
		out = []int{}
	}
	return out
}

// reduce is the shape of a reduction over axes (all when empty).
func reduce(x []int, axes []int64, keep bool) []int {
	red := map[int]bool{}
	for _, a := range axes {
		red[normAxis(int(a), len(x))] = true
	}
	out := []int{}
	for i, d := range x {
		switch {
		case len(axes) == 0 || red[i]:
			if keep {
				out = append(out, 1)
			}
		default:
			out = append(out, d)
		}
	}
	return out
}

// normAxis turns a negative axis into a positive one; -1 if out of range.
func normAxis(a, rank int) int {
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		return -1
	}
	return a
}

func prod(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

func toInts(v []int64) []int {
	if v == nil {
		return nil
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// ones returns v, or n ones when v is nil.
func ones(v []int, n int) []int {
	if v != nil {
		return v
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

// transpose returns x's shape permuted by perm (reversed when perm is
// nil), or nil for a perm that is not one of x's dimensions.
func transpose(x []int, perm []int64) []int {
	out := make([]int, len(x))
	for i := range out {
		p := len(x) - 1 - i
		if perm != nil {
			if len(perm) != len(x) || perm[i] < 0 || int(perm[i]) >= len(x) {
				return nil
			}
			p = int(perm[i])
		}
		out[i] = x[p]
	}
	return out
}

// pad returns x's shape grown by pads (the begins of every axis, then the
// ends), or nil when pads is not two values an axis.
func pad(x []int, pads []int64) []int {
	if len(pads) != 2*len(x) {
		return nil
	}
	out := slices.Clone(x)
	for i := range out {
		out[i] += int(pads[i] + pads[i+len(x)])
	}
	return out
}
