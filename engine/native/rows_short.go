package native

import (
	"math"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

// Short rows: a transformer's attention rows (Softmax over the sequence)
// and LayerNorm rows (the model width) are often 8–64 values, and
// batch 32 makes thousands of them. Per row, the vector kernels' calls cost
// more than the arithmetic, so these paths make one vector call per block
// of rows (Softmax's exponential) or none (LayerNorm's affine step, a
// single fused Go loop instead of three vector passes).

// shortSoftmaxRow and shortNormRow are the longest rows the short-row
// paths take (BenchmarkShortRows: at 64 values the blocked Softmax is
// slower than the row-by-row one, the fused LayerNorm still 1.5× faster),
// and shortBlock the number of values a block of short rows spans.
const (
	shortSoftmaxRow = 32
	shortNormRow    = 64
	shortBlock      = 512
)

// softmaxShortRows is softmaxRows32 for rows of n ≤ shortSoftmaxRow values: per
// block of rows, each row less its maximum, one exponential over the
// block, then each row divided by its sum (in float64).
func softmaxShortRows(d, x []float32, n, lo, hi int) {
	per := max(1, shortBlock/n)
	for r := lo; r < hi; r += per {
		end := min(hi, r+per)
		blk := d[r*n : end*n]
		for j := r; j < end; j++ {
			xr, dr := x[j*n:(j+1)*n], d[j*n:(j+1)*n]
			mx := rowMax(xr)
			for i, v := range xr {
				dr[i] = v - mx
			}
		}
		if !mapSIMD(simd.VecExp, blk, blk, nil, 0) {
			for i, v := range blk {
				blk[i] = exp32(v)
			}
		}
		for j := r; j < end; j++ {
			dr := d[j*n : (j+1)*n]
			s := float32(1 / rowSum(dr))
			for i := range dr {
				dr[i] *= s
			}
		}
	}
}

// row32Short is row32 for a row of at most shortNormRow values with a
// scale and a bias of one value per column (len(d) each): statistics in
// float64 as row32, then one loop computing (x − mean)·inv·γ + β.
func (k *layerNormKernel) row32Short(d, x []float32) {
	mean := float32(rowSum(x) / float64(len(x)))
	ss := rowSumSq(x, mean)
	inv := float32(1 / math.Sqrt(float64(float32(ss/float64(len(x)))+k.eps)))
	g, b := k.gamma[:len(x)], k.beta[:len(x)]
	d = d[:len(x)]
	for i, v := range x {
		d[i] = (v-mean)*inv*g[i] + b[i]
	}
}
