package native

// expandDWEnabled turns fuseExpandDepthwise on; tests turn it off to
// compare.
var expandDWEnabled = true

// fuseExpandDepthwise fuses a 1×1 convolution with constant weights into
// the depthwise 3×3 convolution that is its output's only reader
// (conv_expand.go), after the activations were fused into both.
func (f *fuser) fuseExpandDepthwise() {
	if !expandDWEnabled {
		return
	}
	for c, st := range f.pl.p.steps {
		if f.removed[c] || len(st.in) < 2 || !singleOutput(st) {
			continue
		}
		dw, ok := unwrapHalf(st.kernel).(*convKernel)
		if !ok || !isDepthwise3x3(dw) {
			continue
		}
		p, ok := f.soleProducer(st.in[0], c)
		if !ok {
			continue
		}
		ek, ok := unwrapHalf(f.pl.p.steps[p].kernel).(*convKernel)
		if !ok || ek.residual || ek.direct || ek.group != 1 || len(ek.packed) != 1 || len(ek.wShape) != 4 ||
			ek.wShape[2] != 1 || ek.wShape[3] != 1 || ek.wShape[0] != dw.wShape[0] {
			continue
		}
		k := &expandDWKernel{expand: ek, dw: dw, n1: len(f.pl.p.steps[p].in)}
		f.merge(p, c, k, st.in[1:]...)
	}
}

// isDepthwise3x3 reports whether k is a depthwise convolution with
// constant 3×3 weights, one output channel per input channel and no
// residual (the rest, strides and pads, is checked at run time).
func isDepthwise3x3(k *convKernel) bool {
	ws := k.wShape
	return !k.residual && !k.direct && len(ws) == 4 && ws[1] == 1 && ws[2] == 3 && ws[3] == 3 && k.group == ws[0] && k.group > 1
}
