package native

// fusedAct is an elementwise float32 function fused into the kernel
// that produces its input (Conv, Gemm): Relu and Clip become the kernels'
// clamp, the others (Sigmoid, HardSwish, LeakyRelu, ...) run in place on
// each block of the output right after the kernel stored it, with the same
// function as the unfused operator, so results are identical.
type fusedAct struct {
	// op names the fused operator, for the plan's description.
	op string
	// clamp bounds the values to [lo, hi] (NaN stays NaN).
	clamp  bool
	lo, hi float32
	// fn, when not nil, is applied after the clamp.
	fn func(d, x []float32)
}

// setEpilogue adds the activation to a GEMM epilogue; a nil one adds
// nothing.
func (a *fusedAct) setEpilogue(ep *gemmEpilogue) {
	if a == nil {
		return
	}
	if a.clamp {
		ep.clamp, ep.lo, ep.hi = true, a.lo, a.hi
	}
	ep.post = a.fn
}

// apply runs the activation over s in place (a nil one does nothing).
func (a *fusedAct) apply(s []float32) {
	if a == nil {
		return
	}
	if a.clamp {
		clampSlice(s, a.lo, a.hi)
	}
	if a.fn != nil {
		a.fn(s, s)
	}
}
