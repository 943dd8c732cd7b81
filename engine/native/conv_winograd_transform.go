package native

// The filter transform of Winograd's minimal filtering F(m×m, 3×3) (Lavin
// and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016), for
// output tiles of m = 2 or 4: a tile's (m+2)×(m+2) input patch d becomes
// V = Bᵀ·d·B, the filter g becomes U = G·g·Gᵀ (once, at plan time), and the
// element-wise product summed over the input channels, M, becomes the m×m
// outputs Aᵀ·M·A (simd.WinoTransform computes the input and output
// transforms of many tiles side by side). The forms are those of ONNX's
// cross-correlation. An α×α matrix (α = m+2) is stored row-major (element
// (k, l) at k·α+l).

// winoMaxAlpha bounds α = m+2 over the tile sizes.
const winoMaxAlpha = 6

// winoG returns G (α×3) for tiles of m outputs.
func winoG(m int) [][3]float64 {
	if m == 2 {
		return [][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	}
	return [][3]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}
}

// winoFilter writes U = G·g·Gᵀ of the 3×3 filter g (row-major) to u
// (α×α, row-major), computed in float64.
func winoFilter(u []float32, g []float32, m int) {
	gm := winoG(m)
	a := m + 2
	var t [winoMaxAlpha][3]float64 // G·g
	for k := range a {
		for j := range 3 {
			s := 0.0
			for i := range 3 {
				s += gm[k][i] * float64(g[i*3+j])
			}
			t[k][j] = s
		}
	}
	for k := range a {
		for l := range a {
			s := 0.0
			for j := range 3 {
				s += t[k][j] * gm[l][j]
			}
			u[k*a+l] = float32(s)
		}
	}
}
