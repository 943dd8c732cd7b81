package native

import (
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestMatMulViewsHalf: float16 attention products with Transposes
// and a scale, fused (halfKernel around the view kernel) vs unfused.
func TestMatMulViewsHalf(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	shape := []int{7, 3, 8}
	nodes := []*onnx.Node{
		node("Transpose", []string{"q"}, []string{"qt"}, aInts("perm", 1, 0, 2)),
		node("Div", []string{"qt", "s"}, []string{"qs"}),
		node("Transpose", []string{"k"}, []string{"kt"}, aInts("perm", 1, 2, 0)),
		node("MatMul", []string{"qs", "kt"}, []string{"p"}),
		node("Transpose", []string{"p"}, []string{"y"}, aInts("perm", 1, 0, 2)),
	}
	half := func(v []float32, shape ...int) *tensor.Tensor {
		bits := make([]uint16, len(v))
		for i, x := range v {
			bits[i] = tensor.Float32ToFloat16(x)
		}
		h, err := tensor.FromFloat16Bits(bits, shape...)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	q, k := half(randFloats(r, tensor.NumElements(shape)), shape...), half(randFloats(r, tensor.NumElements(shape)), shape...)
	s := half([]float32{2})
	ins := []onnx.ValueInfo{input("q", tensor.Float16, shape...), input("k", tensor.Float16, shape...)}
	m := model(14, nodes, ins, []string{"y"}, map[string]*tensor.Tensor{"s": s})
	in := feeds("q", q, "k", k)
	want := runFusedOrNot(t, m, in, false, 1)["y"]
	for _, th := range []int{1, 2} {
		got := runFusedOrNot(t, m, in, true, th)["y"]
		if !equalInts(got.Shape(), want.Shape()) || got.DType() != want.DType() {
			t.Fatalf("%v %v, want %v %v", got.DType(), got.Shape(), want.DType(), want.Shape())
		}
		if d := maxAbsDiff(f32s(got), f32s(want)); d > 2e-3 {
			t.Fatalf("threads %d: max diff %g", th, d)
		}
	}
}

func f32s(t *tensor.Tensor) []float32 {
	bits := t.Data().([]uint16)
	out := make([]float32, len(bits))
	for i, b := range bits {
		out[i] = tensor.Float16ToFloat32(b)
	}
	return out
}
