package simd

import (
	"fmt"
	"math"
)

//go:generate go run -C gen ./dw -out ../depthwise_amd64.s -stubs ../depthwise_amd64.go -pkg simd

// DepthwiseKernel computes depthwise 3×3 convolutions of stride 1 or 2
// straight from unpadded planes: the one value of zero padding on every
// side is never written out (rows outside the plane read a zero row,
// columns outside it fall in masked-off lanes). At stride 1 output rows
// are computed in pairs, so that each input row is loaded once per pair;
// at stride 2 the even and odd input columns are split by permutes.
type DepthwiseKernel struct {
	Name string
	// Width is the vector width: a caller prefers this kernel to a
	// TapKernel of the same or smaller width.
	Width int
	isa   isa
}

// DepthwiseKernels returns the direct depthwise kernels this CPU runs,
// fastest first; the last is the portable Go one. The slice is shared: do
// not modify it.
func DepthwiseKernels() []*DepthwiseKernel { return depthwiseKernels }

var (
	goDepthwiseKernel = &DepthwiseKernel{Name: "go", Width: 1, isa: isaGo}
	depthwiseKernels  = append(append([]*DepthwiseKernel(nil), asmDepthwiseKernels...), goDepthwiseKernel)
)

// dwBias is the kernels' flag for a bias per plane (gen/dw's flagBias).
const dwBias = 1

// Conv3x3 computes planes convolutions of stride 1 or 2, dilation 1 and
// one value of zero padding on every side: plane p of src is h×w, at
// p·h·w, and of dst oh×ow, at p·oh·ow (oh = (h-1)/stride+1, the same for
// ow), and output (y, x) of plane p is bias[p] (bias nil counts as 0) plus
// Σ over i, j < 3 of wt[9p+3i+j]·src[p, stride·y+i-1, stride·x+j-1], then
// clamped to [lo, hi] when clamp is set (NaN stays NaN). zero must hold at
// least w zeros. It panics when a slice is too short or the stride is
// neither 1 nor 2.
func (k *DepthwiseKernel) Conv3x3(dst, src, zero []float32, stride, planes, h, w int, wt, bias []float32, clamp bool, lo, hi float32) {
	if planes <= 0 || h <= 0 || w <= 0 {
		return
	}
	oh, ow := (h-1)/max(stride, 1)+1, (w-1)/max(stride, 1)+1
	if stride < 1 || stride > 2 || len(dst) < planes*oh*ow || len(src) < planes*h*w || len(zero) < w ||
		len(wt) < 9*planes || bias != nil && len(bias) < planes {
		panic(fmt.Sprintf("simd: %s: depthwise 3×3 of stride %d over %d planes of %d×%d: %d outputs, %d inputs, %d zeros, %d weights, %d biases",
			k.Name, stride, planes, h, w, len(dst), len(src), len(zero), len(wt), len(bias)))
	}
	if !clamp {
		lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	}
	if k.isa == isaGo {
		dw3x3Go(dst, src, stride, planes, h, w, wt, bias, lo, hi)
		return
	}
	flags := 0
	if bias != nil {
		flags = dwBias
	}
	dw3x3Asm(k.isa, stride, dst, src, zero, planes, h, w, wt, bias, flags, lo, hi)
}

func dw3x3Go(dst, src []float32, s, planes, h, w int, wt, bias []float32, lo, hi float32) {
	oh, ow := (h-1)/s+1, (w-1)/s+1
	for p := range planes {
		var b float32
		if bias != nil {
			b = bias[p]
		}
		x, y, k := src[p*h*w:(p+1)*h*w], dst[p*oh*ow:(p+1)*oh*ow], wt[9*p:9*p+9]
		for oy := range oh {
			for ox := range ow {
				v := b
				for i := range 3 {
					iy := oy*s + i - 1
					if iy < 0 || iy >= h {
						continue
					}
					for j := range 3 {
						if ix := ox*s + j - 1; ix >= 0 && ix < w {
							v += k[3*i+j] * x[iy*w+ix]
						}
					}
				}
				y[oy*ow+ox] = clampNaN(v, lo, hi)
			}
		}
	}
}

// clampNaN bounds v to [lo, hi], a NaN staying NaN.
func clampNaN(v, lo, hi float32) float32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
