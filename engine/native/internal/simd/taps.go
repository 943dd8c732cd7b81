package simd

import "fmt"

// TapKernel computes, over a run of outputs, a sum or maximum of shifted
// views of one buffer: the inner loop of depthwise convolution and max
// pooling once their input is laid out so that every kernel tap is a
// constant offset (see package native's conv_planes.go).
type TapKernel struct {
	Name string
	// Width is the vector width (a run's last len mod Width values are
	// computed under a mask).
	Width int
	isa   isa
}

// TapKernels returns the tap kernels this CPU runs, fastest first; the last
// is the portable Go one. The slice is shared: do not modify it.
func TapKernels() []*TapKernel { return tapKernels }

var tapKernels = append(append([]*TapKernel(nil), asmTapKernels...), goTapKernel)

// checkTaps panics unless every tap reads inside src.
func (k *TapKernel) checkTaps(dst, src []float32, offs []int, taps int) {
	if len(offs) == 0 || len(offs) < taps {
		panic(fmt.Sprintf("simd: %s: %d outputs, %d offsets for %d taps", k.Name, len(dst), len(offs), taps))
	}
	for _, o := range offs[:taps] {
		if o < 0 || o+len(dst) > len(src) {
			panic(fmt.Sprintf("simd: %s: offset %d of %d outputs outside %d inputs", k.Name, o, len(dst), len(src)))
		}
	}
}

// Sum stores dst[i] = bias + Σt w[t]·src[offs[t]+i] for every i, clamped to
// [lo, hi] (NaN kept) when clamp is set. len(offs) ≥ len(w) ≥ 1, and every
// tap must read inside src.
func (k *TapKernel) Sum(dst, src []float32, offs []int, w []float32, bias float32, clamp bool, lo, hi float32) {
	k.checkTaps(dst, src, offs, len(w))
	if len(dst) == 0 {
		return
	}
	flags := 0
	if clamp {
		flags = Clamp
	}
	if k.isa == isaGo {
		tapSumGo(dst, src, offs[:len(w)], w, flags, bias, lo, hi)
		return
	}
	tapSumAsm(k.isa, dst, src, offs[:len(w)], w, flags, bias, lo, hi)
}

// Max stores dst[i] = the maximum over t of src[offs[t]+i], a NaN only
// winning as the first tap (offs[0]), under the same conditions as Sum.
func (k *TapKernel) Max(dst, src []float32, offs []int) {
	k.checkTaps(dst, src, offs, len(offs))
	if len(dst) == 0 {
		return
	}
	if k.isa == isaGo {
		tapMaxGo(dst, src, offs)
		return
	}
	tapMaxAsm(k.isa, dst, src, offs)
}

// Deinterleave2 stores even[i] = src[2i] and odd[i] = src[2i+1] for i <
// len(even), with len(odd) = len(even) and len(src) ≥ 2·len(even).
func (k *TapKernel) Deinterleave2(even, odd, src []float32) {
	n := len(even)
	if len(odd) != n || len(src) < 2*n {
		panic(fmt.Sprintf("simd: %s: deinterleave %d and %d from %d", k.Name, len(even), len(odd), len(src)))
	}
	k.Deinterleave2D(even, n, odd, n, src, 2*n, 1, n)
}

// Deinterleave2D is Deinterleave2 over rows rows: row r of even starts at
// r·lde, of odd at r·ldo, of src at r·lds, and n values of each are
// split from 2n of src.
func (k *TapKernel) Deinterleave2D(even []float32, lde int, odd []float32, ldo int, src []float32, lds, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	if n > lde || n > ldo || 2*n > lds && rows > 1 ||
		len(even) < (rows-1)*lde+n || len(odd) < (rows-1)*ldo+n || len(src) < (rows-1)*lds+2*n {
		panic(fmt.Sprintf("simd: %s: deinterleave %d×%d (strides %d, %d, %d) between %d, %d and %d values",
			k.Name, rows, n, lde, ldo, lds, len(even), len(odd), len(src)))
	}
	if k.isa != isaAVX512 {
		for r := range rows {
			e, o, s := even[r*lde:r*lde+n], odd[r*ldo:r*ldo+n], src[r*lds:r*lds+2*n]
			for i := range e {
				e[i], o[i] = s[2*i], s[2*i+1]
			}
		}
		return
	}
	deinterleave2DAsm(even, lde, odd, ldo, src, lds, rows, n)
}

var goTapKernel = &TapKernel{Name: "go", Width: 1, isa: isaGo}

func tapSumGo(dst, src []float32, offs []int, w []float32, flags int, bias, lo, hi float32) {
	for i := range dst {
		dst[i] = bias
	}
	for t, wt := range w {
		s := src[offs[t] : offs[t]+len(dst)]
		for i, v := range s {
			dst[i] += wt * v
		}
	}
	if flags&Clamp != 0 {
		for i, v := range dst {
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			dst[i] = v
		}
	}
}

func tapMaxGo(dst, src []float32, offs []int) {
	copy(dst, src[offs[0]:])
	for _, o := range offs[1:] {
		s := src[o : o+len(dst)]
		for i, v := range s {
			if v > dst[i] {
				dst[i] = v
			}
		}
	}
}

// Copy2D copies rows rows of cols values from src, whose rows start lds
// apart, to dst, whose rows start ldd apart. The two must not overlap.
func (k *TapKernel) Copy2D(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if cols > ldd || cols > lds || len(dst) < (rows-1)*ldd+cols || len(src) < (rows-1)*lds+cols {
		panic(fmt.Sprintf("simd: %s: copy of %d×%d with strides %d and %d between %d and %d values", k.Name, rows, cols, ldd, lds, len(dst), len(src)))
	}
	if k.isa == isaGo {
		for r := range rows {
			copy(dst[r*ldd:r*ldd+cols], src[r*lds:r*lds+cols])
		}
		return
	}
	copy2DAsm(k.isa, dst, ldd, src, lds, rows, cols)
}

// Planes describes the planes of TapKernel.SumPlanes: Planes planes of
// Rows rows of Cols outputs; output row r of plane p starts at
// dst[p·DstPlane+r·DstRow] and reads tap t at src[p·SrcPlane+r·SrcRow+offs[t]].
type Planes struct {
	Planes, Rows, Cols int
	DstPlane, DstRow   int
	SrcPlane, SrcRow   int
}

// SumPlanes is Sum over whole planes written in place: for every plane p,
// row r and column i < Cols it stores dst[p, r, i] = bias[p] + Σt
// w[p·taps+t]·src[p, r, i+offs[t]] (bias nil counts as 0), clamped to
// [lo, hi] when clamp is set. w holds taps = len(w)/Planes weights per
// plane. It panics when a tap or an output falls outside its slice.
func (k *TapKernel) SumPlanes(dst, src []float32, g *Planes, offs []int, w, bias []float32, clamp bool, lo, hi float32) {
	if g.Planes <= 0 || g.Rows <= 0 || g.Cols <= 0 {
		return
	}
	taps := len(w) / g.Planes
	k.checkPlanes(dst, src, g, offs, taps, len(w), len(bias))
	flags := 0
	if clamp {
		flags |= Clamp
	}
	if bias != nil {
		flags |= RowBias
	}
	if k.isa == isaGo {
		tapPlanesGo(dst, src, g, offs[:taps], w, bias, flags, lo, hi)
		return
	}
	tapPlanesAsm(k.isa, k.Width, dst, src, g, offs[:taps], w, bias, flags, lo, hi)
}

// checkPlanes panics unless SumPlanes' arguments are consistent and every
// access stays inside the slices.
func (k *TapKernel) checkPlanes(dst, src []float32, g *Planes, offs []int, taps, nw, nb int) {
	last := (g.Planes-1)*g.DstPlane + (g.Rows-1)*g.DstRow + g.Cols
	ok := taps >= 1 && nw == taps*g.Planes && len(offs) >= taps && (nb == 0 || nb >= g.Planes) &&
		g.DstRow >= g.Cols && g.DstPlane >= 0 && g.SrcPlane >= 0 && g.SrcRow >= 0 && last <= len(dst)
	reach := (g.Planes-1)*g.SrcPlane + (g.Rows-1)*g.SrcRow + g.Cols
	for _, o := range offs[:min(taps, len(offs))] {
		ok = ok && o >= 0 && o+reach <= len(src)
	}
	if !ok {
		panic(fmt.Sprintf("simd: %s: planes %+v, %d taps of %d offsets, %d weights, %d biases, outside %d outputs or %d inputs",
			k.Name, *g, taps, len(offs), nw, nb, len(dst), len(src)))
	}
}

func tapPlanesGo(dst, src []float32, g *Planes, offs []int, w, bias []float32, flags int, lo, hi float32) {
	taps := len(offs)
	for p := range g.Planes {
		var b float32
		if bias != nil {
			b = bias[p]
		}
		for r := range g.Rows {
			row := dst[p*g.DstPlane+r*g.DstRow:][:g.Cols]
			s := src[p*g.SrcPlane+r*g.SrcRow:]
			tapSumGo(row, s, offs, w[p*taps:(p+1)*taps], flags, b, lo, hi)
		}
	}
}
