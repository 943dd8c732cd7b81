package native

import (
	"fmt"
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
