package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestMatMulTransposeViews compares batched MatMuls with Transposes
// around them, fused (the products reading and writing in place) and
// not, and checks which Transposes the fusion removes: attention's
// layouts (sequence-first and batch-first with heads), a broadcast
// operand, products on the small path and on sgemm's, and permutations
// or readers that must keep their Transpose.
func TestMatMulTransposeViews(t *testing.T) {
	type tr struct {
		perm []int64
		in   []int // the Transpose's input shape
	}
	cases := []struct {
		name string
		a, b *tr     // operand Transposes (nil: the operand is an input)
		as   []int   // A's shape when a is nil
		bs   []int   // B's shape when b is nil
		out  []int64 // a Transpose of the product, or nil
		// extra reads the A Transpose's output a second time (an Add of it
		// to itself as a second graph output): it must stay.
		extra bool
		steps int // after fusion
	}{
		{name: "seq-first QK", a: &tr{[]int64{1, 0, 2}, []int{12, 8, 8}}, b: &tr{[]int64{1, 2, 0}, []int{12, 8, 8}}, steps: 1},
		{name: "seq-first PV out", bs: nil, as: []int{8, 12, 12}, b: &tr{[]int64{1, 0, 2}, []int{12, 8, 8}}, out: []int64{1, 0, 2}, steps: 1},
		{name: "heads QK", a: &tr{[]int64{0, 2, 1, 3}, []int{2, 16, 4, 16}}, b: &tr{[]int64{0, 2, 3, 1}, []int{2, 16, 4, 16}}, steps: 1},
		{name: "heads PV out", as: []int{2, 4, 16, 16}, b: &tr{[]int64{0, 2, 1, 3}, []int{2, 16, 4, 16}}, out: []int64{0, 2, 1, 3}, steps: 1},
		{name: "wide n sgemm", a: &tr{[]int64{1, 0, 2}, []int{140, 3, 40}}, b: &tr{[]int64{0, 2, 1}, []int{3, 300, 40}}, out: []int64{1, 0, 2}, steps: 1},
		{name: "broadcast B", a: &tr{[]int64{1, 0, 2}, []int{5, 6, 7}}, bs: []int{7, 9}, steps: 1},
		{name: "broadcast A", as: []int{5, 7}, b: &tr{[]int64{2, 1, 0}, []int{3, 7, 4}}, steps: 2},
		{name: "last axis moved", a: &tr{[]int64{2, 0, 1}, []int{4, 5, 6}}, bs: []int{6, 5, 3}, out: []int64{0, 2, 1}, steps: 3},
		{name: "shared transpose", a: &tr{[]int64{1, 0, 2}, []int{4, 3, 5}}, bs: []int{3, 5, 2}, extra: true, steps: 3},
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var nodes []*onnx.Node
			var ins []onnx.ValueInfo
			in := map[string]*tensor.Tensor{}
			operand := func(name string, x *tr, shape []int) string {
				if x != nil {
					shape = x.in
				}
				in[name] = tensor.MustFromSlice(randFloats(r, tensor.NumElements(shape)), shape...)
				ins = append(ins, input(name, tensor.Float32, shape...))
				if x == nil {
					return name
				}
				nodes = append(nodes, node("Transpose", []string{name}, []string{name + "t"}, aInts("perm", x.perm...)))
				return name + "t"
			}
			a, b := operand("a", c.a, c.as), operand("b", c.b, c.bs)
			y := "y"
			if c.out != nil {
				y = "p"
			}
			nodes = append(nodes, node("MatMul", []string{a, b}, []string{y}))
			if c.out != nil {
				nodes = append(nodes, node("Transpose", []string{"p"}, []string{"y"}, aInts("perm", c.out...)))
			}
			outs := []string{"y"}
			if c.extra {
				nodes = append(nodes, node("Add", []string{a, a}, []string{"z"}))
				outs = append(outs, "z")
			}
			m := model(14, nodes, ins, outs, nil)
			want := runPlanned(t, m, in, false, -1)
			got := runPlanned(t, m, in, true, c.steps)
			for _, o := range outs {
				if !equalInts(got[o].Shape(), want[o].Shape()) {
					t.Fatalf("%s: shape %v, want %v", o, got[o].Shape(), want[o].Shape())
				}
				assertNear(t, got[o], want[o], 1e-5)
			}
		})
	}
}

// TestMatMulViewsThreads runs a fused attention product on 1–3 threads
// with batches that do and do not divide among them.
func TestMatMulViewsThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, threads := range []int{1, 2, 3} {
		for _, bh := range []int{1, 5, 64} {
			t.Run(fmt.Sprintf("threads=%d/bh=%d", threads, bh), func(t *testing.T) {
				nodes := []*onnx.Node{
					node("Transpose", []string{"q"}, []string{"qt"}, aInts("perm", 1, 0, 2)),
					node("Transpose", []string{"k"}, []string{"kt"}, aInts("perm", 1, 2, 0)),
					node("MatMul", []string{"qt", "kt"}, []string{"p"}),
					node("Transpose", []string{"p"}, []string{"y"}, aInts("perm", 1, 0, 2)),
				}
				shape := []int{10, bh, 16}
				ins := []onnx.ValueInfo{input("q", tensor.Float32, shape...), input("k", tensor.Float32, shape...)}
				in := feeds("q", tensor.MustFromSlice(randFloats(r, 160*bh), shape...), "k", tensor.MustFromSlice(randFloats(r, 160*bh), shape...))
				m := model(14, nodes, ins, []string{"y"}, nil)
				want := runPlanned(t, m, in, false, -1)
				s := mustSession(t, m, threads)
				if n := len(s.(*session).plan.steps); n != 1 {
					t.Fatalf("%d steps, want 1", n)
				}
				if op := stepOp(s.(*session).plan.steps[0]); op != "MatMul+Transpose" {
					t.Errorf("profiled as %q, want MatMul+Transpose", op)
				}
				assertNear(t, mustRun(t, s, in)["y"], want["y"], 1e-5)
			})
		}
	}
}

// TestMatMulFoldedScale compares MatMuls whose operand is divided or
// multiplied by a scalar constant, folded into the products' scale (and
// the Transpose behind it then read in place) and not; a scalar divided
// by the operand, or a constant that would raise the rank, stays.
func TestMatMulFoldedScale(t *testing.T) {
	cases := []struct {
		name  string
		op    string
		c     *tensor.Tensor
		first bool // the constant is the first operand
		steps int
	}{
		{"div", "Div", f32(nil, 2.828427), false, 1},
		{"mul first", "Mul", f32([]int{1}, 0.125), true, 1},
		{"mul", "Mul", f32(nil, -3), false, 1},
		{"scalar over operand", "Div", f32(nil, 2), true, 3},
		{"rank raising", "Mul", f32([]int{1, 1, 1, 1}, 0.5), false, 3},
	}
	r := rand.New(rand.NewPCG(9, 10))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			scaleIn := []string{"qt", "c"}
			if c.first {
				scaleIn = []string{"c", "qt"}
			}
			nodes := []*onnx.Node{
				node("Transpose", []string{"q"}, []string{"qt"}, aInts("perm", 1, 0, 2)),
				node(c.op, scaleIn, []string{"qs"}),
				node("Transpose", []string{"k"}, []string{"kt"}, aInts("perm", 1, 2, 0)),
				node("MatMul", []string{"qs", "kt"}, []string{"y"}),
			}
			shape := []int{12, 6, 8}
			ins := []onnx.ValueInfo{input("q", tensor.Float32, shape...), input("k", tensor.Float32, shape...)}
			in := feeds("q", tensor.MustFromSlice(randFloats(r, 576), shape...), "k", tensor.MustFromSlice(randFloats(r, 576), shape...))
			m := model(14, nodes, ins, []string{"y"}, map[string]*tensor.Tensor{"c": c.c})
			want := runPlanned(t, m, in, false, -1)
			got := runPlanned(t, m, in, true, c.steps)
			if !equalInts(got["y"].Shape(), want["y"].Shape()) {
				t.Fatalf("shape %v, want %v", got["y"].Shape(), want["y"].Shape())
			}
			assertNear(t, got["y"], want["y"], 1e-5)
		})
	}
}

// TestMatMulViewsEdges: a vector operand drops an axis of the product, so
// a fused Transpose of it has the dropped rank; products with an empty
// axis must not read their views' offsets; a folded scale multiplies the
// operand before the products, so none overflows or underflows where the
// unfused Div would not.
func TestMatMulViewsEdges(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	vec := []struct {
		as, bs []int
	}{{[]int{3, 4, 5, 6}, []int{6}}, {[]int{6}, []int{3, 4, 6, 5}}}
	for _, c := range vec {
		t.Run(fmt.Sprintf("vector %v×%v", c.as, c.bs), func(t *testing.T) {
			nodes := []*onnx.Node{node("MatMul", []string{"a", "b"}, []string{"p"}),
				node("Transpose", []string{"p"}, []string{"y"}, aInts("perm", 1, 0, 2))}
			ins := []onnx.ValueInfo{input("a", tensor.Float32, c.as...), input("b", tensor.Float32, c.bs...)}
			in := feeds("a", tensor.MustFromSlice(randFloats(r, tensor.NumElements(c.as)), c.as...),
				"b", tensor.MustFromSlice(randFloats(r, tensor.NumElements(c.bs)), c.bs...))
			m := model(14, nodes, ins, []string{"y"}, nil)
			assertNear(t, runPlanned(t, m, in, true, 1)["y"], runPlanned(t, m, in, false, -1)["y"], 1e-5)
		})
	}
	for _, c := range []struct{ a, b []int }{{[]int{0, 2, 5}, []int{2, 5, 4}}, {[]int{3, 2, 5}, []int{2, 5, 0}}, {[]int{3, 2, 0}, []int{2, 0, 4}}} {
		t.Run(fmt.Sprintf("empty %v×%v", c.a, c.b), func(t *testing.T) {
			nodes := []*onnx.Node{node("Transpose", []string{"a"}, []string{"at"}, aInts("perm", 1, 0, 2)),
				node("MatMul", []string{"at", "b"}, []string{"p"}),
				node("Transpose", []string{"p"}, []string{"y"}, aInts("perm", 1, 0, 2))}
			ins := []onnx.ValueInfo{input("a", tensor.Float32, c.a...), input("b", tensor.Float32, c.b...)}
			in := feeds("a", tensor.MustFromSlice(make([]float32, tensor.NumElements(c.a)), c.a...),
				"b", tensor.MustFromSlice(make([]float32, tensor.NumElements(c.b)), c.b...))
			m := model(14, nodes, ins, []string{"y"}, nil)
			got, want := runPlanned(t, m, in, true, 1)["y"], runPlanned(t, m, in, false, -1)["y"]
			if !equalInts(got.Shape(), want.Shape()) {
				t.Fatalf("shape %v, want %v", got.Shape(), want.Shape())
			}
			assertNear(t, got, want, 0)
		})
	}
	for _, c := range []struct{ a, b, s float32 }{{1e30, 1e10, 1e10}, {1e-30, 1e-20, 1e-20}} {
		t.Run(fmt.Sprintf("scale %g", c.s), func(t *testing.T) {
			nodes := []*onnx.Node{node("Div", []string{"a", "s"}, []string{"as"}), node("MatMul", []string{"as", "b"}, []string{"y"})}
			shape := []int{2, 1, 1}
			ins := []onnx.ValueInfo{input("a", tensor.Float32, shape...), input("b", tensor.Float32, shape...)}
			in := feeds("a", tensor.MustFromSlice([]float32{c.a, c.a}, shape...), "b", tensor.MustFromSlice([]float32{c.b, c.b}, shape...))
			m := model(14, nodes, ins, []string{"y"}, map[string]*tensor.Tensor{"s": f32(nil, c.s)})
			got, want := runPlanned(t, m, in, true, 1)["y"], runPlanned(t, m, in, false, -1)["y"]
			g, w := tensor.Data[float32](got)[0], tensor.Data[float32](want)[0]
			if math.Abs(float64(g-w)) > 1e-6*math.Abs(float64(w)) {
				t.Fatalf("fused %v, unfused %v", g, w)
			}
		})
	}
}
