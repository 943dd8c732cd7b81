package simd

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkTileSegmentsConv runs the segmented kernel over the column
// tiles of a 3×3 convolution of 16 channels on 8×8 planes (padded to 9×9,
// one plane per image and channel) for 1 and 32 images, the digits CNN's
// second layer, against Tile on a packed panel of the same depth.
func BenchmarkTileSegmentsConv(b *testing.B) {
	k := GemmKernels()[0]
	if !k.HasSegments() {
		b.Skip("no segmented kernel")
	}
	const ch, wq, plane, kc = 16, 9, 81, 144
	r := rand.New(rand.NewPCG(1, 2))
	a := randSlice(r, kc*k.MR)
	c := make([]float32, k.MR*k.NR)
	ep := &Epilogue{}
	for _, imgs := range []int{1, 32} {
		planes, o := convPlanes(r, ch, imgs*plane+2*wq+k.NR, wq)
		tiles := imgs * 64 / k.NR
		segs := make([][]int, tiles)
		for t := range segs {
			for g := range k.NR / SegWidth {
				q := t*k.NR + g*SegWidth
				segs[t] = append(segs[t], q/64*plane+q%64/8*wq)
			}
		}
		b.Run(fmt.Sprintf("segments/images=%d", imgs), func(b *testing.B) {
			for b.Loop() {
				for _, s := range segs {
					k.TileSegments(kc, a, planes, o, 0, s, c, k.NR, ep)
				}
			}
			b.ReportMetric(2*float64(kc*k.MR*k.NR*tiles)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	// The same planes read as contiguous runs of NR (no segments).
	b.Run("indirect/images=32", func(b *testing.B) {
		planes, o := convPlanes(r, ch, 32*plane+2*wq+k.NR, wq)
		for b.Loop() {
			for t := range 64 {
				k.TileIndirect(kc, a, planes[t*k.NR:], o, 0, c, k.NR, ep)
			}
		}
		b.ReportMetric(2*float64(kc*k.MR*k.NR*64)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("tile", func(b *testing.B) {
		bp := randSlice(r, kc*k.NR)
		for b.Loop() {
			k.Tile(kc, a, bp, c, k.NR, ep)
		}
		b.ReportMetric(2*float64(kc*k.MR*k.NR)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// convPlanes returns random planes of ch channels chStride apart and the
// offsets of a 3×3 convolution's taps in them, rows wq wide.
func convPlanes(r *rand.Rand, ch, chStride, wq int) ([]float32, *Offsets) {
	offs := make([]int, 0, ch*9)
	for c := range ch {
		for i := range 3 {
			for j := range 3 {
				offs = append(offs, c*chStride+i*wq+j)
			}
		}
	}
	return randSlice(r, ch*chStride), NewOffsets(offs)
}
