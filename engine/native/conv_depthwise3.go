package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// directDepthwise returns the direct depthwise kernel that computes p, or
// nil: p must be a 2-D depthwise convolution with one output channel per
// input channel, a 3×3 kernel of stride 1 or 2 (the same along both
// axes), dilation 1 and one value of padding on every side (MobileNet's),
// and a direct kernel of the tap kernel's vector width must exist (on AVX2
// the tap kernel is faster than the portable direct one).
func directDepthwise(p *convProblem, cp *convPlan) *simd.DepthwiseKernel {
	g := &p.geo
	if len(g.in) != 2 || p.m != p.c || cp.taps == nil || g.stride[0] > 2 || g.stride[0] != g.stride[1] {
		return nil
	}
	for a := range 2 {
		if g.kernel[a] != 3 || g.dilation[a] != 1 || g.padBegin[a] != 1 || g.padEnd[a] != 1 {
			return nil
		}
	}
	for _, k := range simd.DepthwiseKernels() {
		if k.Width == cp.taps.Width {
			return k
		}
	}
	return nil
}

// convDepthwiseDirect3 computes p with the direct kernel k: no padded copy
// of the input, the bias and a Relu or Clip applied as the outputs are
// stored. The work items are blocks of cp.chunk channels of one image, in
// memory order, as in convDepthwise; a residual and other activations
// follow on the block's output, still in cache.
func convDepthwiseDirect3(rc *runCtx, p *convProblem, cp *convPlan, k *simd.DepthwiseKernel) {
	chunk := max(1, cp.chunk)
	blocks := (p.c + chunk - 1) / chunk
	b := depthwise3Bodies.get()
	defer depthwise3Bodies.put(b)
	b.p, b.k, b.chunk, b.blocks = *p, k, chunk, blocks
	work := chunk * p.geo.out[0] * p.geo.out[1] * 9
	parallelRange(rc.threads, p.batch*blocks, max(1, elemGrain/work), b)
}

// depthwise3Body is the state of convDepthwiseDirect3's region.
type depthwise3Body struct {
	p             convProblem
	k             *simd.DepthwiseKernel
	chunk, blocks int
}

var depthwise3Bodies freeList[depthwise3Body]

func (b *depthwise3Body) do(t0, t1 int) {
	p := &b.p
	h, w, stride := p.geo.in[0], p.geo.in[1], p.geo.stride[0]
	plane, outPlane := h*w, p.geo.out[0]*p.geo.out[1]
	clamp := p.act != nil && p.act.clamp && p.residual == nil
	var lo, hi float32
	if clamp {
		lo, hi = p.act.lo, p.act.hi
	}
	zb := getScratch(w)
	defer putScratch(zb)
	zero := (*zb)[:w]
	clear(zero)
	for t := t0; t < t1; t++ {
		n, c0 := t/b.blocks, t%b.blocks*b.chunk
		c1 := min(p.c, c0+b.chunk)
		var bias []float32
		if p.bias != nil {
			bias = p.bias[c0:c1]
		}
		i0, o0 := n*p.c+c0, n*p.c+c1
		y := p.y[i0*outPlane : o0*outPlane]
		b.k.Conv3x3(y, p.x[i0*plane:o0*plane], zero, stride, c1-c0, h, w, p.w[9*c0:9*c1], bias, clamp, lo, hi)
		if p.residual != nil {
			for i, v := range p.residual[i0*outPlane : o0*outPlane] {
				y[i] += v
			}
		}
		if !clamp {
			p.act.apply(y)
		}
	}
}
