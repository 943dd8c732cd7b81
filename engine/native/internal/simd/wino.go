package simd

import "fmt"

// WinoKind is a transform of Winograd's minimal filtering F(m×m, 3×3):
// Y = C·X·Cᵀ, with C the o×a matrix Bᵀ (inputs, o = a = m+2) or Aᵀ
// (outputs, o = m).
type WinoKind int

// The transforms, for tiles of 2 and 4 outputs.
const (
	WinoInput2 WinoKind = iota
	WinoInput4
	WinoOutput2
	WinoOutput4
)

// winoMatrices are the transforms' C, row-major (as gen/wino.go's).
var winoMatrices = [...][][]float32{
	WinoInput2: {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
	WinoInput4: {
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	},
	WinoOutput2: {{1, 1, 1, 0}, {0, 1, -1, -1}},
	WinoOutput4: {
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	},
}

// Sizes returns the transform's a (X is a×a) and o (Y is o×o).
func (w WinoKind) Sizes() (a, o int) {
	c := winoMatrices[w]
	return len(c[0]), len(c)
}

// HasWinograd reports whether WinoTransform runs in assembly.
func (k *TapKernel) HasWinograd() bool { return k.isa == isaAVX512 }

// WinoTransform computes, for each of n lanes t, Y = C·X·Cᵀ with C the
// matrix of kind, X a×a with element (i, j) at src[so[i·a+j]+t], and
// stores element (k, l) of Y at dst[do[k·o+l]+t]. The lanes of the
// transforms of many tiles side by side are contiguous, so that they run
// as vectors. It panics unless the tables have a² and o² offsets that
// leave n values in src and dst.
func (k *TapKernel) WinoTransform(kind WinoKind, dst []float32, do *Offsets, src []float32, so *Offsets, n int) {
	a, o := kind.Sizes()
	if n <= 0 {
		return
	}
	if so.Len() != a*a || do.Len() != o*o || so.min < 0 || do.min < 0 || so.max+n > len(src) || do.max+n > len(dst) {
		panic(fmt.Sprintf("simd: %s: Winograd transform %d of %d lanes: offsets %d..%d of %d values, %d..%d of %d",
			k.Name, kind, n, so.min, so.max, len(src), do.min, do.max, len(dst)))
	}
	if k.isa != isaAVX512 {
		winoTransformGo(winoMatrices[kind], dst, do.offs, src, so.offs, n)
		return
	}
	winoTransformAsm(kind, dst, do.offs, src, so.offs, n)
}

// winoTransformGo is WinoTransform in Go, lane by lane.
func winoTransformGo(c [][]float32, dst []float32, do []int, src []float32, so []int, n int) {
	a, o := len(c[0]), len(c)
	var x, t [36]float32
	for lane := range n {
		for e := range a * a {
			x[e] = src[so[e]+lane]
		}
		for r := range o { // t = C·X
			for j := range a {
				s := float32(0)
				for i := range a {
					s += c[r][i] * x[i*a+j]
				}
				t[r*a+j] = s
			}
		}
		for r := range o { // Y = t·Cᵀ
			for l := range o {
				s := float32(0)
				for j := range a {
					s += c[l][j] * t[r*a+j]
				}
				dst[do[r*o+l]+lane] = s
			}
		}
	}
}
