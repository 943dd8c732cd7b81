package simd

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestGather(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, k := range TapKernels() {
		for _, tc := range []struct {
			p0, kc, taps int
			rows         int // the indices: rows of this many outputs, or random (0)
			nr           int
		}{{0, 1, 1, 0, 32}, {0, 9, 9, 7, 32}, {3, 7, 12, 0, 32}, {0, 0, 4, 14, 32}, {5, 256, 300, 7, 32}, {2, 30, 40, 14, 32},
			{0, 5, 5, 32, 32}, {1, 3, 6, 28, 32}, {0, 9, 9, 7, 16}, {2, 30, 40, 14, 16}, {0, 4, 4, 0, 16}} {
			t.Run(fmt.Sprintf("%s/p0=%d/kc=%d/rows=%d/nr=%d", k.Name, tc.p0, tc.kc, tc.rows, tc.nr), func(t *testing.T) {
				src := randSlice(r, 4000)
				offs := make([]int, tc.taps)
				for i := range offs {
					offs[i] = r.IntN(3000)
				}
				idx := make([]int32, tc.nr)
				base := r.IntN(100)
				for j := range idx {
					idx[j] = int32(r.IntN(1000))
					if tc.rows > 0 {
						// Runs of consecutive positions, one garbage column between.
						idx[j] = int32(base + j/tc.rows*(tc.rows+1) + j%tc.rows)
					}
				}
				dst := randSlice(r, tc.kc*tc.nr+5)
				want := slices.Clone(dst)
				for p := range tc.kc {
					for j, v := range idx {
						want[p*tc.nr+j] = src[offs[tc.p0+p]+int(v)]
					}
				}
				k.Gather(dst, src, NewOffsets(offs), tc.p0, tc.kc, idx)
				if !slices.Equal(dst, want) {
					t.Fatalf("got %v\nwant %v", dst, want)
				}
			})
		}
	}
}

func TestGatherPanicsOutOfRange(t *testing.T) {
	for _, k := range TapKernels() {
		t.Run(k.Name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic for an index past src")
				}
			}()
			idx := make([]int32, GatherWidth)
			idx[7] = 100
			k.Gather(make([]float32, GatherWidth), make([]float32, 100), NewOffsets([]int{0}), 0, 1, idx)
		})
	}
}
