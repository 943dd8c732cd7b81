package simd

import "fmt"

// HasMaxPool2x2 reports whether MaxPool2x2 runs in assembly for rows of w
// values: AVX-512, with rows of 2, 4 or 8 values (several row pairs per
// vector pair) or of a multiple of 16.
func (k *TapKernel) HasMaxPool2x2(w int) bool {
	return k.isa == isaAVX512 && pool2x2Table(w) != nil
}

// MaxPool2x2 is a 2×2 max pooling of stride 2 over row pairs: x holds
// len(y)/(w/2) pairs of rows of w values (w even), y a row of w/2 values
// per pair, y[r·w/2+j] the maximum of x[2r·w+2j], x[2r·w+2j+1],
// x[(2r+1)·w+2j] and x[(2r+1)·w+2j+1], taken in that order (a NaN only
// winning as the first, as in Max). Planes of an even number of rows
// follow each other as row pairs, so one call pools many planes; it does
// what Deinterleave2D twice and Max do, without their buffers.
func (k *TapKernel) MaxPool2x2(y, x []float32, w int) {
	if w < 2 || w%2 != 0 || len(y)%(w/2) != 0 || len(x) < len(y)*4 {
		panic(fmt.Sprintf("simd: %s: 2×2 pooling of rows of %d into %d values from %d", k.Name, w, len(y), len(x)))
	}
	pairs := len(y) / (w / 2)
	tab := pool2x2Table(w)
	if k.isa != isaAVX512 || tab == nil {
		maxPool2x2Go(y, x, w, pairs)
		return
	}
	done := pairs
	if w%16 == 0 {
		maxPool2x2Asm(y, x, pairs, 2*w, w/16, w, tab)
	} else {
		// Blocks of 32 values, 32/(2w) row pairs each; the pairs after
		// the last whole block in Go.
		blocks := pairs * 2 * w / 32
		done = blocks * 32 / (2 * w)
		maxPool2x2Asm(y, x, blocks, 32, 1, 16, tab)
	}
	if done < pairs {
		maxPool2x2Go(y[done*w/2:], x[done*2*w:], w, pairs-done)
	}
}

// maxPool2x2Go is MaxPool2x2 in Go.
func maxPool2x2Go(y, x []float32, w, pairs int) {
	ow := w / 2
	for r := range pairs {
		top, bot := x[2*r*w:(2*r+1)*w], x[(2*r+1)*w:(2*r+2)*w]
		out := y[r*ow : (r+1)*ow]
		for j := range out {
			m := top[2*j]
			for _, v := range [3]float32{top[2*j+1], bot[2*j], bot[2*j+1]} {
				if v > m {
					m = v
				}
			}
			out[j] = m
		}
	}
}

// pool2x2Tables holds the VPERMT2PS indices of the assembly kernel (see
// maxPool2x2 in gen/pool.go) for rows of 2, 4 and 8 values and, last,
// for rows of a multiple of 16.
var pool2x2Tables = func() (t [4][32]int32) {
	for i, w := range []int{2, 4, 8, 16} {
		ow := w / 2
		for k := range 8 {
			// Output k of a block of 32 values: row pair k/ow of the
			// block (for w = 16 the block is the 16 values of each row).
			base, j := k/ow*2*w, k%ow
			if w == 16 {
				base, j = 0, k
			}
			t[i][k] = int32(base + 2*j)
			t[i][8+k] = int32(base + 2*j + 1)
			t[i][16+k] = int32(base + w + 2*j)
			t[i][24+k] = int32(base + w + 2*j + 1)
		}
	}
	return t
}()

// pool2x2Table returns the indices for rows of w values, nil when the
// kernel does not take them.
func pool2x2Table(w int) *[32]int32 {
	switch {
	case w == 2:
		return &pool2x2Tables[0]
	case w == 4:
		return &pool2x2Tables[1]
	case w == 8:
		return &pool2x2Tables[2]
	case w > 0 && w%16 == 0:
		return &pool2x2Tables[3]
	}
	return nil
}
