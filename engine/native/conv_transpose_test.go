package native

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvTransposeGemm compares the matrix-product path with the gather
// form over groups, strides, dilations, pads and output padding, in one
// and two dimensions.
func TestConvTransposeGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		in, k, stride, dil, pad, opad []int
		batch, c, m, group            int
	}{
		{in: []int{5, 6}, k: []int{2, 2}, stride: []int{2, 2}, dil: []int{1, 1}, pad: []int{0, 0, 0, 0}, opad: []int{0, 0}, batch: 2, c: 4, m: 3, group: 1},
		{in: []int{4, 5}, k: []int{3, 3}, stride: []int{2, 1}, dil: []int{1, 2}, pad: []int{1, 0, 1, 2}, opad: []int{1, 0}, batch: 1, c: 6, m: 4, group: 2},
		{in: []int{3, 3}, k: []int{3, 2}, stride: []int{3, 2}, dil: []int{2, 1}, pad: []int{0, 1, 2, 0}, opad: []int{0, 1}, batch: 3, c: 3, m: 6, group: 3},
		{in: []int{7}, k: []int{4}, stride: []int{3}, dil: []int{1}, pad: []int{2, 1}, opad: []int{1}, batch: 2, c: 2, m: 5, group: 1},
		// Kernel = stride on a 32×32 plane: col2im splits its 8 channels
		// between the two threads (col2imGrain).
		{in: []int{32, 32}, k: []int{2, 2}, stride: []int{2, 2}, dil: []int{1, 1}, pad: []int{0, 0, 0, 0}, opad: []int{0, 0}, batch: 1, c: 8, m: 8, group: 1},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			r2 := len(tc.in)
			g := geometry{in: tc.in, kernel: tc.k, stride: tc.stride, dilation: tc.dil,
				padBegin: tc.pad[:r2], padEnd: tc.pad[r2:], out: make([]int, r2)}
			for d := range r2 {
				g.out[d] = tc.stride[d]*(tc.in[d]-1) + tc.opad[d] + (tc.k[d]-1)*tc.dil[d] + 1 - tc.pad[d] - tc.pad[r2+d]
			}
			x := randFloats(r, tc.batch*tc.c*prod(tc.in))
			w := randFloats(r, tc.c*(tc.m/tc.group)*prod(tc.k))
			bias := randFloats(r, tc.m)
			n := tc.batch * tc.m * prod(g.out)
			want, got := make([]float32, n), make([]float32, n)
			rc := &runCtx{ctx: context.Background(), threads: 2}
			convTransposeND(rc, &g, tc.batch, tc.c, tc.m, tc.group, x, w, bias, want)
			p, ok := as2D(&g)
			if !ok {
				t.Fatal("not 2-D")
			}
			convTransposeGemm(rc, &p, tc.batch, tc.c, tc.m, tc.group, x, w, bias, got)
			for j := range want {
				if math.Abs(float64(got[j]-want[j])) > 1e-5 {
					t.Fatalf("y[%d] = %v, gather form %v", j, got[j], want[j])
				}
			}
		})
	}
}
