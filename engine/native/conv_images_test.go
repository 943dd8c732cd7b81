package native

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestConvImplicitImages checks the split of an implicit convolution's
// batch between threads (convImplicitImages): which plans take it, and
// that they compute the one-thread plan's outputs bit for bit, with bias,
// a residual and an activation, for batches that part unevenly.
func TestConvImplicitImages(t *testing.T) {
	tests := []struct {
		name                                    string
		batch, threads, c, hw, m, stride, group int
		images                                  bool
	}{
		{"stride 2, two images a thread", 4, 2, 16, 17, 24, 2, 1, true},
		{"stride 2, odd batch", 7, 2, 8, 33, 16, 2, 1, true},
		{"stride 1, three threads", 9, 3, 8, 12, 12, 1, 1, true},
		{"grouped", 6, 2, 8, 9, 12, 2, 2, true},
		{"too few images: rows", 3, 2, 16, 17, 24, 2, 1, false},
		{"one thread", 8, 1, 16, 17, 24, 2, 1, false},
	}
	r := rand.New(rand.NewPCG(31, 32))
	for kname := range forEachKernel(t) {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%s", kname, tc.name), func(t *testing.T) {
				oh := (tc.hw+2-3)/tc.stride + 1
				cg := tc.c / tc.group
				p := convProblem{
					geo: geometry{in: []int{tc.hw, tc.hw}, out: []int{oh, oh}, kernel: []int{3, 3},
						stride: []int{tc.stride, tc.stride}, dilation: []int{1, 1}, padBegin: []int{1, 1}, padEnd: []int{1, 1}},
					batch: tc.batch, c: tc.c, m: tc.m, group: tc.group,
					x: randFloats(r, tc.batch*tc.c*tc.hw*tc.hw), w: randFloats(r, tc.m*cg*9), bias: randFloats(r, tc.m),
					residual: randFloats(r, tc.batch*tc.m*oh*oh),
					act:      &fusedAct{op: "Clip", clamp: true, lo: 0, hi: 6},
				}
				cp := newConvPlan(&p, algoImplicit, tc.threads)
				if cp.images != tc.images {
					t.Fatalf("images %v, want %v", cp.images, tc.images)
				}
				checkImplicitThreads(t, p, cp, tc.threads)
			})
		}
	}
}

// TestConvImplicitOwnPlanes checks the implicit convolutions whose
// threads each lay out the planes themselves (ownPlanes): which plans take
// it, and that they compute the one-thread plan's outputs bit for bit,
// with bias, a residual and an activation, on 2 and 3 threads, when the
// output channels part unevenly.
func TestConvImplicitOwnPlanes(t *testing.T) {
	tests := []struct {
		name                                       string
		batch, threads, c, hw, m, k, stride, group int
		own                                        bool
	}{
		{"3x3 stride 2", 1, 2, 32, 56, 72, 3, 2, 1, true},
		{"3x3 stride 2, three threads", 1, 3, 32, 56, 72, 3, 2, 1, true},
		{"1x1 stride 2", 1, 2, 64, 56, 136, 1, 2, 1, true},
		{"grouped", 1, 2, 32, 40, 64, 3, 2, 2, true},
		{"two images", 2, 2, 32, 30, 72, 3, 2, 1, true},
		{"one thread", 1, 1, 32, 56, 72, 3, 2, 1, false},
		{"bands of rows", 1, 2, 3, 224, 32, 3, 2, 1, false},
	}
	r := rand.New(rand.NewPCG(41, 42))
	for kname := range forEachKernel(t) {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%s", kname, tc.name), func(t *testing.T) {
				pad := tc.k / 2
				oh := (tc.hw+2*pad-tc.k)/tc.stride + 1
				cg := tc.c / tc.group
				p := convProblem{
					geo: geometry{in: []int{tc.hw, tc.hw}, out: []int{oh, oh}, kernel: []int{tc.k, tc.k},
						stride: []int{tc.stride, tc.stride}, dilation: []int{1, 1}, padBegin: []int{pad, pad}, padEnd: []int{pad, pad}},
					batch: tc.batch, c: tc.c, m: tc.m, group: tc.group,
					x: randFloats(r, tc.batch*tc.c*tc.hw*tc.hw), w: randFloats(r, tc.m*cg*tc.k*tc.k), bias: randFloats(r, tc.m),
					residual: randFloats(r, tc.batch*tc.m*oh*oh),
					act:      &fusedAct{op: "Clip", clamp: true, lo: 0, hi: 6},
				}
				cp := newConvPlan(&p, algoImplicit, tc.threads)
				b := &implicitBody{p: p, cp: cp}
				impl := cp.gemm
				mg, kg := tc.m/tc.group, cg*tc.k*tc.k
				// Which plans lay out their own planes depends on the
				// kernel's tiles: checked for the AVX-512 one.
				if own := b.ownPlanes(tc.threads, max(4*impl.nr, (1<<17)/mg), mg, kg); own != tc.own && strings.HasPrefix(kname, "avx512") {
					t.Fatalf("own planes %v, want %v", own, tc.own)
				}
				checkImplicitThreads(t, p, cp, tc.threads)
			})
		}
	}
}

// checkImplicitThreads runs p with the plan cp on threads threads, twice,
// and requires the outputs of the one-thread plan bit for bit.
func checkImplicitThreads(t *testing.T, p convProblem, cp *convPlan, threads int) {
	t.Helper()
	want := make([]float32, p.batch*p.m*p.geo.out[0]*p.geo.out[1])
	p.y = want
	convImplicit(&runCtx{threads: 1}, &p, nil, newConvPlan(&p, algoImplicit, 1))
	got := make([]float32, len(want))
	p.y = got
	for range 2 {
		convImplicit(&runCtx{threads: threads}, &p, nil, cp)
		if !slices.Equal(got, want) {
			t.Fatalf("differs from one thread (max diff %g)", maxAbsDiff(got, want))
		}
	}
}
