package simd

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestTileMasked checks every kernel's masked tile against its full tile:
// the first rows rows and cols columns equal the full tile's bit for bit,
// and every other element of C keeps its value, for every row and column
// count and depths around the unrolling.
func TestTileMasked(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, k := range testedGemmKernels() {
		for _, kc := range []int{0, 1, 4, 5, 12, 33} {
			t.Run(fmt.Sprintf("%s/kc=%d", k.Name, kc), func(t *testing.T) {
				a, b := randSlice(r, kc*k.MR), randSlice(r, kc*k.NR)
				full := make([]float32, k.MR*k.NR)
				k.Tile(kc, a, b, full, k.NR, &Epilogue{})
				for rows := 1; rows <= k.MR; rows++ {
					for cols := 1; cols <= k.NR; cols++ {
						ldc := cols + 5
						c := randSlice(r, (rows-1)*ldc+cols+7)
						want := make([]float32, len(c))
						copy(want, c)
						for i := range rows {
							copy(want[i*ldc:i*ldc+cols], full[i*k.NR:])
						}
						// c is cut at the last element the tile may write.
						k.TileMasked(kc, a, b, c[:(rows-1)*ldc+cols], ldc, rows, cols)
						for i := range c {
							if c[i] != want[i] {
								t.Fatalf("%dx%d: c[%d] = %v, want %v", rows, cols, i, c[i], want[i])
							}
						}
					}
				}
			})
		}
	}
}

// TestTileMaskedPanics checks the argument checks.
func TestTileMaskedPanics(t *testing.T) {
	k := GemmKernels()[0]
	a, b, c := make([]float32, 4*k.MR), make([]float32, 4*k.NR), make([]float32, k.MR*k.NR)
	tests := []struct {
		name                string
		kc, ldc, rows, cols int
		c                   []float32
	}{
		{"no rows", 4, k.NR, 0, 1, c},
		{"too many rows", 4, k.NR, k.MR + 1, 1, c},
		{"no columns", 4, k.NR, 1, 0, c},
		{"too many columns", 4, k.NR + 1, 1, k.NR + 1, c},
		{"ldc below cols", 4, 2, 2, 3, c},
		{"c too short", 4, k.NR, 2, 3, c[:k.NR+2]},
		{"a too short", 5, k.NR, 1, 1, c},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			k.TileMasked(tc.kc, a, b, tc.c, tc.ldc, tc.rows, tc.cols)
		})
	}
}

// TestTileMaskedStrided checks the kernels reading B in place against
// their masked tiles on B packed (its columns past cols zero), bit for
// bit, with B cut at its last element read.
func TestTileMaskedStrided(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, k := range testedGemmKernels() {
		if !k.HasStridedB() {
			continue
		}
		for _, kc := range []int{0, 1, 4, 5, 12, 33} {
			t.Run(fmt.Sprintf("%s/kc=%d", k.Name, kc), func(t *testing.T) {
				a := randSlice(r, kc*k.MR)
				for _, rows := range []int{1, 3, k.MR} {
					for cols := 1; cols <= k.NR; cols++ {
						ldb, ldc := cols+3, cols+5
						b := randSlice(r, max(0, (kc-1)*ldb+cols))
						packed := make([]float32, kc*k.NR)
						for p := range kc {
							copy(packed[p*k.NR:p*k.NR+cols], b[p*ldb:])
						}
						want := randSlice(r, (rows-1)*ldc+cols)
						got := append([]float32(nil), want...)
						k.TileMasked(kc, a, packed, want, ldc, rows, cols)
						k.TileMaskedStrided(kc, a, b, ldb, got, ldc, rows, cols)
						for i := range got {
							if got[i] != want[i] {
								t.Fatalf("%dx%d: c[%d] = %v, want %v", rows, cols, i, got[i], want[i])
							}
						}
					}
				}
			})
		}
	}
}
