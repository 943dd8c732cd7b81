package native

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestReviewSmallProductsViews (review s12): attention-like batched
// products whose B is a transposed view of a [B, S, H, D] tensor (rows H*D
// apart, the case the small products now read in place) or a transposed B,
// on one session through many shapes in turn, against a naive product.
func TestReviewSmallProductsViews(t *testing.T) {
	for _, transB := range []bool{false, true} {
		for _, threads := range []int{1, 2} {
			t.Run(fmt.Sprintf("transB=%v/threads=%d", transB, threads), func(t *testing.T) {
				// p [B,H,M,S] x vt [B,H,S,D], vt = Transpose(v [B,S,H,D], 0,2,1,3);
				// transB: vt = Transpose(v [B,D,H,S], 0,2,3,1) -> [B,H,S,D].
				perm := []int64{0, 2, 1, 3}
				if transB {
					perm = []int64{0, 2, 3, 1}
				}
				nodes := []*onnx.Node{
					node("Transpose", []string{"v"}, []string{"vt"}, aInts("perm", perm...)),
					node("MatMul", []string{"p", "vt"}, []string{"y"}),
				}
				m := model(13, nodes, []onnx.ValueInfo{input("p", tensor.Float32, -1, -1, -1, -1), input("v", tensor.Float32, -1, -1, -1, -1)}, []string{"y"}, nil)
				s := mustSession(t, m, threads)
				r := rand.New(rand.NewPCG(11, 12))
				for range 120 {
					b, h, mm, sq, d := 1+r.IntN(3), 1+r.IntN(4), 1+r.IntN(20), 1+r.IntN(40), 1+r.IntN(70)
					if r.IntN(3) == 0 {
						mm, sq, d = 1+r.IntN(9), 1+r.IntN(17), 1+r.IntN(33)
					}
					checkReviewAttention(t, s, r, b, h, mm, sq, d, transB)
				}
			})
		}
	}
}

func checkReviewAttention(t *testing.T, s engine.Session, r *rand.Rand, b, h, m, sq, d int, transB bool) {
	t.Helper()
	p := randFloats(r, b*h*m*sq)
	v := randFloats(r, b*sq*h*d)
	vShape := []int{b, sq, h, d}
	at := func(bi, hi, si, di int) float32 { return v[((bi*sq+si)*h+hi)*d+di] }
	if transB {
		vShape = []int{b, d, h, sq}
		at = func(bi, hi, si, di int) float32 { return v[((bi*d+di)*h+hi)*sq+si] }
	}
	out := mustRun(t, s, feeds("p", tensor.MustFromSlice(p, b, h, m, sq), "v", tensor.MustFromSlice(v, vShape...)))
	want := make([]float32, b*h*m*d)
	for bi := range b {
		for hi := range h {
			for i := range m {
				for j := range d {
					var acc float64
					for k := range sq {
						acc += float64(p[((bi*h+hi)*m+i)*sq+k]) * float64(at(bi, hi, k, j))
					}
					want[((bi*h+hi)*m+i)*d+j] = float32(acc)
				}
			}
		}
	}
	got := out["y"]
	if !equalInts(got.Shape(), []int{b, h, m, d}) {
		t.Fatalf("B=%d H=%d M=%d S=%d D=%d: shape %v", b, h, m, sq, d, got.Shape())
	}
	if diff := maxAbsDiff(tensor.Data[float32](got), want); !(diff <= 1e-4) {
		t.Fatalf("B=%d H=%d M=%d S=%d D=%d transB=%v: max |diff| %g", b, h, m, sq, d, transB, diff)
	}
}
