package simd

import "fmt"

// GatherWidth is the most columns Gather packs per call: the NR of the
// AVX-512 GEMM kernel (its narrow kernel's panels are half as wide).
const GatherWidth = 32

// HasGather reports whether the kernel runs Gather in assembly (AVX-512:
// a masked load and store per run of consecutive indices and depth step);
// the others run a Go loop, slower than the copies it would replace.
func (k *TapKernel) HasGather() bool { return k.isa == isaAVX512 }

// Gather packs a B panel for a GEMM kernel of NR len(idx) (at most
// GatherWidth) from a convolution's padded planes: dst[p·NR+j] =
// src[o[p0+p]+idx[j]] for p < kc and j < NR, so that the panel's columns are any
// outputs of the layout (its valid ones, without the garbage columns the
// indirect kernel computes). It panics when a read falls outside src or dst
// is short.
func (k *TapKernel) Gather(dst, src []float32, o *Offsets, p0, kc int, idx []int32) {
	nr := len(idx)
	if kc <= 0 || nr == 0 {
		return
	}
	lo, hi := idx[0], idx[0]
	for _, v := range idx {
		lo, hi = min(lo, v), max(hi, v)
	}
	if nr > GatherWidth || p0 < 0 || p0+kc > len(o.offs) || len(dst) < kc*nr ||
		o.min+int(lo) < 0 || o.max+int(hi) >= len(src) {
		panic(fmt.Sprintf("simd: %s: gather of %d steps from %d (offsets %d..%d, indices %d..%d) into %d values",
			k.Name, kc, len(src), o.min, o.max, lo, hi, len(dst)))
	}
	offs := o.offs[p0 : p0+kc]
	if k.isa != isaAVX512 {
		for p, off := range offs {
			row := dst[p*nr : (p+1)*nr]
			for j, v := range idx {
				row[j] = src[off+int(v)]
			}
		}
		return
	}
	// The runs of consecutive indices, at most 16 values each, as (lane,
	// index, length) triples.
	var runs [GatherWidth][3]int32
	n := 0
	for j := 0; j < nr; {
		e := j + 1
		for e < nr && e-j < 16 && idx[e] == idx[e-1]+1 {
			e++
		}
		runs[n] = [3]int32{int32(j), idx[j], int32(e - j)}
		n++
		j = e
	}
	gatherAsm(dst, src, offs, nr, runs[:n])
}
