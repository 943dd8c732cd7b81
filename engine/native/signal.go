package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// Signal processing (opset 17): the Hann, Hamming and Blackman windows,
// DFT, STFT and MelWeightMatrix. Transforms are direct O(n²) sums in
// float64: exact enough, and these operators sit outside hot paths.

func init() {
	registerSince("HannWindow", 17, func(b *buildCtx) (kernel, error) { return buildWindow(b, 0.5, 0.5, 0) })
	registerSince("HammingWindow", 17, func(b *buildCtx) (kernel, error) { return buildWindow(b, 25.0/46, 21.0/46, 0) })
	registerSince("BlackmanWindow", 17, func(b *buildCtx) (kernel, error) { return buildWindow(b, 0.42, 0.5, 0.08) })
	registerSince("DFT", 17, buildDFT)
	registerSince("STFT", 17, buildSTFT)
	registerSince("MelWeightMatrix", 17, buildMelWeightMatrix)
}

// outputDType reads the output_datatype attribute (default FLOAT).
func outputDType(b *buildCtx) (tensor.DType, error) {
	code, err := b.intAttr("output_datatype", 1)
	if err != nil {
		return 0, err
	}
	dt, ok := onnxDTypes[code]
	if !ok || dt == tensor.String || dt == tensor.Bool {
		return 0, b.errorf("output_datatype %d is not supported", code)
	}
	return dt, nil
}

// buildWindow makes a cosine-sum window a0 - a1·cos(2πn/N) + a2·cos(4πn/N).
func buildWindow(b *buildCtx, a0, a1, a2 float64) (kernel, error) {
	periodic, err := b.boolAttr("periodic", true)
	if err != nil {
		return nil, err
	}
	dt, err := outputDType(b)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		sf, err := scalarFloat(in[0])
		if err != nil || sf < 0 || sf > 1<<24 {
			return fmt.Errorf("window size must be a non-negative scalar")
		}
		size := int(sf)
		n := float64(size)
		if !periodic {
			n--
		}
		w := make([]float64, size)
		for i := range w {
			x := 2 * math.Pi * float64(i) / n
			w[i] = a0 - a1*math.Cos(x) + a2*math.Cos(2*x)
		}
		y := tensor.New(dt, size)
		castSlice(y.Data(), w)
		out[0] = y
		return nil
	}), nil
}

// complexOf reads a signal's trailing axis of 1 (real) or 2 (complex)
// components as pairs of float64.
func complexOf(x *tensor.Tensor) (re, im []float64, shape []int, err error) {
	xs := x.Shape()
	if len(xs) < 2 || xs[len(xs)-1] != 1 && xs[len(xs)-1] != 2 {
		return nil, nil, nil, fmt.Errorf("signal of shape %v must end in an axis of 1 (real) or 2 (complex)", xs)
	}
	v, err := floatsOf(x)
	if err != nil {
		return nil, nil, nil, err
	}
	comps := xs[len(xs)-1]
	n := len(v) / comps
	re, im = make([]float64, n), make([]float64, n)
	for i := range n {
		re[i] = v[i*comps]
		if comps == 2 {
			im[i] = v[i*comps+1]
		}
	}
	return re, im, xs[:len(xs)-1], nil
}

// dft transforms m input points (zero-padded or truncated to n) into the
// first bins output bins.
func dft(re, im []float64, stride, m, n, bins int, inverse bool, outRe, outIm []float64, outStride int) {
	sign := -1.0
	if inverse {
		sign = 1
	}
	for k := range bins {
		var sr, si float64
		for t := range min(m, n) {
			a := sign * 2 * math.Pi * float64(k) * float64(t) / float64(n)
			c, s := math.Cos(a), math.Sin(a)
			xr, xi := re[t*stride], im[t*stride]
			sr += xr*c - xi*s
			si += xr*s + xi*c
		}
		if inverse {
			sr /= float64(n)
			si /= float64(n)
		}
		outRe[k*outStride], outIm[k*outStride] = sr, si
	}
}

func buildDFT(b *buildCtx) (kernel, error) {
	axis, err := b.intAttr("axis", 1)
	if err != nil {
		return nil, err
	}
	inverse, err := b.boolAttr("inverse", false)
	if err != nil {
		return nil, err
	}
	onesided, err := b.boolAttr("onesided", false)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		re, im, shape, err := complexOf(in[0])
		if err != nil {
			return fmt.Errorf("DFT: %w", err)
		}
		a, ok := normAxis(axis, len(shape)+1)
		if !ok || a >= len(shape) {
			return fmt.Errorf("DFT axis %d out of range for shape %v", axis, in[0].Shape())
		}
		m := shape[a]
		n := m
		if len(in) > 1 && in[1] != nil {
			v, err := scalarFloat(in[1])
			if err != nil || v < 1 || v > 1<<20 {
				return fmt.Errorf("DFT dft_length must be a positive scalar")
			}
			n = int(v)
		}
		bins := n
		if onesided {
			bins = n/2 + 1
		}
		outer, inner := tensor.NumElements(shape[:a]), tensor.NumElements(shape[a+1:])
		oshape := append(append(append([]int(nil), shape[:a]...), bins), shape[a+1:]...)
		ore, oim := make([]float64, outer*bins*inner), make([]float64, outer*bins*inner)
		for o := range outer {
			for i := range inner {
				dft(re[o*m*inner+i:], im[o*m*inner+i:], inner, m, n, bins, inverse, ore[o*bins*inner+i:], oim[o*bins*inner+i:], inner)
			}
		}
		out[0] = complexTensor(in[0].DType(), ore, oim, oshape)
		return nil
	}), nil
}

// complexTensor packs real and imaginary parts into shape + [2].
func complexTensor(dt tensor.DType, re, im []float64, shape []int) *tensor.Tensor {
	v := make([]float64, 2*len(re))
	for i := range re {
		v[2*i], v[2*i+1] = re[i], im[i]
	}
	y := tensor.New(dt, append(append([]int(nil), shape...), 2)...)
	castSlice(y.Data(), v)
	return y
}

func buildSTFT(b *buildCtx) (kernel, error) {
	onesided, err := b.boolAttr("onesided", true)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		re, im, shape, err := complexOf(in[0])
		if err != nil {
			return fmt.Errorf("STFT: %w", err)
		}
		if len(shape) != 2 {
			return fmt.Errorf("STFT signal must be [batch, length, 1|2], got %v", in[0].Shape())
		}
		batch, length := shape[0], shape[1]
		stepF, err := scalarFloat(in[1])
		if err != nil || stepF < 1 {
			return fmt.Errorf("STFT frame_step must be a positive scalar")
		}
		step := int(stepF)
		var window []float64
		if len(in) > 2 && in[2] != nil {
			if window, err = floatsOf(in[2]); err != nil {
				return fmt.Errorf("STFT window: %w", err)
			}
		}
		frameLen := len(window)
		if len(in) > 3 && in[3] != nil {
			v, err := scalarFloat(in[3])
			if err != nil || v < 1 {
				return fmt.Errorf("STFT frame_length must be a positive scalar")
			}
			frameLen = int(v)
		}
		if frameLen < 1 || frameLen > length || window != nil && len(window) != frameLen {
			return fmt.Errorf("STFT frame length %d does not fit a signal of %d and a window of %d", frameLen, length, len(window))
		}
		frames := (length-frameLen)/step + 1
		bins := frameLen
		if onesided {
			bins = frameLen/2 + 1
		}
		ore, oim := make([]float64, batch*frames*bins), make([]float64, batch*frames*bins)
		fr, fi := make([]float64, frameLen), make([]float64, frameLen)
		for bi := range batch {
			for f := range frames {
				for t := range frameLen {
					w := 1.0
					if window != nil {
						w = window[t]
					}
					src := bi*length + f*step + t
					fr[t], fi[t] = re[src]*w, im[src]*w
				}
				off := (bi*frames + f) * bins
				dft(fr, fi, 1, frameLen, frameLen, bins, false, ore[off:], oim[off:], 1)
			}
		}
		out[0] = complexTensor(in[0].DType(), ore, oim, []int{batch, frames, bins})
		return nil
	}), nil
}

func buildMelWeightMatrix(b *buildCtx) (kernel, error) {
	dt, err := outputDType(b)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		var p [5]float64
		for i := range p {
			v, err := scalarFloat(in[i])
			if err != nil {
				return fmt.Errorf("MelWeightMatrix input %d: %w", i, err)
			}
			p[i] = v
		}
		mels, dftLen, rate, lo, hi := int(p[0]), int(p[1]), p[2], p[3], p[4]
		if mels < 1 || dftLen < 1 || mels > 1<<16 || dftLen > 1<<20 || rate <= 0 {
			return fmt.Errorf("MelWeightMatrix parameters %v are invalid", p)
		}
		specBins := dftLen/2 + 1
		toMel := func(hz float64) float64 { return 2595 * math.Log10(1+hz/700) }
		lowMel, highMel := toMel(lo), toMel(hi)
		step := (highMel - lowMel) / float64(mels+2) // as the reference: over mels+2 points
		freq := make([]int, mels+2)
		for i := range freq {
			hz := 700 * (math.Pow(10, (float64(i)*step+lowMel)/2595) - 1)
			freq[i] = int(math.Floor(float64(dftLen+1) * hz / rate))
		}
		w := make([]float64, specBins*mels)
		set := func(j, i int, v float64) {
			if j >= 0 && j < specBins {
				w[j*mels+i] = v
			}
		}
		for i := range mels {
			left, center, right := freq[i], freq[i+1], freq[i+2]
			if center == left {
				set(center, i, 1)
			} else {
				for j := left; j <= center; j++ {
					set(j, i, float64(j-left)/float64(center-left))
				}
			}
			if right > center {
				for j := center; j < right; j++ {
					set(j, i, float64(right-j)/float64(right-center))
				}
			}
		}
		y := tensor.New(dt, specBins, mels)
		castSlice(y.Data(), w)
		out[0] = y
		return nil
	}), nil
}
