package native

import (
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestMatMulViewVectorOperand: a MatMul with a 1-D operand drops an
// axis of its product, so a Transpose of that product has the rank of the
// dropped shape; fused, the output is labelled permuted but written in the
// product's own order.
func TestMatMulViewVectorOperand(t *testing.T) {
	cases := []struct {
		name   string
		as, bs []int
		perm   []int64
	}{
		{"1-D B", []int{3, 4, 5, 6}, []int{6}, []int64{1, 0, 2}},
		{"1-D A", []int{6}, []int{3, 4, 6, 5}, []int64{1, 0, 2}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nodes := []*onnx.Node{
				node("MatMul", []string{"a", "b"}, []string{"p"}),
				node("Transpose", []string{"p"}, []string{"y"}, aInts("perm", c.perm...)),
			}
			ins := []onnx.ValueInfo{input("a", tensor.Float32, c.as...), input("b", tensor.Float32, c.bs...)}
			in := feeds("a", tensor.MustFromSlice(randFloats(r, tensor.NumElements(c.as)), c.as...),
				"b", tensor.MustFromSlice(randFloats(r, tensor.NumElements(c.bs)), c.bs...))
			m := model(14, nodes, ins, []string{"y"}, nil)
			want := runPlanned(t, m, in, false, -1)
			got := runPlanned(t, m, in, true, -1)
			if !equalInts(got["y"].Shape(), want["y"].Shape()) {
				t.Fatalf("shape %v, want %v", got["y"].Shape(), want["y"].Shape())
			}
			assertNear(t, got["y"], want["y"], 1e-5)
		})
	}
	// A constant 1-D B (attention pooling's weight vector) is not
	// prepacked, so the same fusion applies.
	t.Run("constant 1-D B", func(t *testing.T) {
		as := []int{3, 4, 5, 6}
		nodes := []*onnx.Node{
			node("MatMul", []string{"a", "w"}, []string{"p"}),
			node("Transpose", []string{"p"}, []string{"y"}, aInts("perm", 1, 0, 2)),
		}
		m := model(14, nodes, []onnx.ValueInfo{input("a", tensor.Float32, as...)}, []string{"y"},
			map[string]*tensor.Tensor{"w": tensor.MustFromSlice(randFloats(r, 6), 6)})
		in := feeds("a", tensor.MustFromSlice(randFloats(r, tensor.NumElements(as)), as...))
		want := runPlanned(t, m, in, false, -1)
		got := runPlanned(t, m, in, true, 1)
		assertNear(t, got["y"], want["y"], 1e-5)
	})
}

// perms4 returns every permutation of 4 axes.
func readablePerms(n int) [][]int64 {
	if n == 1 {
		return [][]int64{{0}}
	}
	var out [][]int64
	for _, p := range readablePerms(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int64(nil), p[:i]...), int64(n-1)), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func runFusedOrNot(t *testing.T, m *onnx.Model, in map[string]*tensor.Tensor, fuse bool, threads int) map[string]*tensor.Tensor {
	t.Helper()
	defer func() { fusionEnabled = true }()
	fusionEnabled = fuse
	s := mustSession(t, m, threads)
	return mustRun(t, s, in)
}

// TestMatMulViewsRandom compares fused and unfused batched MatMuls
// with random readable input permutations and output permutations over
// odd shapes (tails of the micro-kernel, broadcast batch axes), on 1 and 2
// threads.
func TestMatMulViewsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	perms := readablePerms(4)
	var readable, outs [][]int64
	for _, p := range perms {
		ip := []int{int(p[0]), int(p[1]), int(p[2]), int(p[3])}
		if readableView(ip) {
			readable = append(readable, p)
		}
		if p[3] == 3 {
			outs = append(outs, p)
		}
	}
	dims := []int{1, 2, 3, 7, 9, 17, 33, 130, 300}
	for it := range 150 {
		m, k, n := dims[r.IntN(len(dims))], dims[r.IntN(len(dims))], dims[r.IntN(len(dims))]
		b0, b1 := 1+r.IntN(3), 1+r.IntN(3)
		ab0, bb1 := b0, b1
		if r.IntN(4) == 0 {
			ab0 = 1 // broadcast
		}
		if r.IntN(4) == 0 {
			bb1 = 1
		}
		pa, pb, po := readable[r.IntN(len(readable))], readable[r.IntN(len(readable))], outs[r.IntN(len(outs))]
		aShape, bShape := []int{ab0, b1, m, k}, []int{b0, bb1, k, n}
		as, bs := transposeSource(aShape, pa), transposeSource(bShape, pb)
		nodes := []*onnx.Node{
			node("Transpose", []string{"a"}, []string{"at"}, aInts("perm", pa...)),
			node("Transpose", []string{"b"}, []string{"bt"}, aInts("perm", pb...)),
			node("MatMul", []string{"at", "bt"}, []string{"p"}),
			node("Transpose", []string{"p"}, []string{"y"}, aInts("perm", po...)),
		}
		ins := []onnx.ValueInfo{input("a", tensor.Float32, as...), input("b", tensor.Float32, bs...)}
		in := feeds("a", tensor.MustFromSlice(randFloats(r, tensor.NumElements(as)), as...),
			"b", tensor.MustFromSlice(randFloats(r, tensor.NumElements(bs)), bs...))
		md := model(14, nodes, ins, []string{"y"}, nil)
		want := runFusedOrNot(t, md, in, false, 1)
		if s := mustSession(t, md, 1); len(s.(*session).plan.steps) != 1 {
			t.Fatalf("it %d: %d steps", it, len(s.(*session).plan.steps))
		}
		for _, th := range []int{1, 2} {
			got := runFusedOrNot(t, md, in, true, th)
			if !equalInts(got["y"].Shape(), want["y"].Shape()) {
				t.Fatalf("it %d: shape %v, want %v", it, got["y"].Shape(), want["y"].Shape())
			}
			if d := maxAbsDiff(tensor.Data[float32](got["y"]), tensor.Data[float32](want["y"])); d > 1e-4 {
				t.Fatalf("it %d threads %d: A %v perm %v, B %v perm %v, out perm %v: max diff %g", it, th, as, pa, bs, pb, po, d)
			}
		}
	}
}

// TestMatMulViewsRanks is TestMatMulViewsRandom with operands
// of ranks 2 to 4 (batch dimensions broadcast across ranks).
func TestMatMulViewsRanks(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	dims := []int{1, 2, 5, 16, 17, 40}
	readable := func(rank int) [][]int64 {
		var out [][]int64
		for _, p := range readablePerms(rank) {
			ip := make([]int, rank)
			for i, a := range p {
				ip[i] = int(a)
			}
			if readableView(ip) {
				out = append(out, p)
			}
		}
		return out
	}
	for it := range 200 {
		m, k, n := dims[r.IntN(len(dims))], dims[r.IntN(len(dims))], dims[r.IntN(len(dims))]
		ra, rb := 2+r.IntN(3), 2+r.IntN(3)
		if ra == 2 && rb == 2 {
			rb = 3
		}
		batch := []int{1 + r.IntN(3), 1 + r.IntN(3)}
		aShape := append(append([]int(nil), batch[2-(ra-2):]...), m, k)
		bShape := append(append([]int(nil), batch[2-(rb-2):]...), k, n)
		pas, pbs := readable(ra), readable(rb)
		pa, pb := pas[r.IntN(len(pas))], pbs[r.IntN(len(pbs))]
		as, bs := transposeSource(aShape, pa), transposeSource(bShape, pb)
		nodes := []*onnx.Node{
			node("Transpose", []string{"a"}, []string{"at"}, aInts("perm", pa...)),
			node("Transpose", []string{"b"}, []string{"bt"}, aInts("perm", pb...)),
			node("MatMul", []string{"at", "bt"}, []string{"y"}),
		}
		ins := []onnx.ValueInfo{input("a", tensor.Float32, as...), input("b", tensor.Float32, bs...)}
		in := feeds("a", tensor.MustFromSlice(randFloats(r, tensor.NumElements(as)), as...),
			"b", tensor.MustFromSlice(randFloats(r, tensor.NumElements(bs)), bs...))
		md := model(14, nodes, ins, []string{"y"}, nil)
		want := runFusedOrNot(t, md, in, false, 1)
		for _, th := range []int{1, 2} {
			got := runFusedOrNot(t, md, in, true, th)
			if !equalInts(got["y"].Shape(), want["y"].Shape()) {
				t.Fatalf("it %d: shape %v, want %v", it, got["y"].Shape(), want["y"].Shape())
			}
			if d := maxAbsDiff(tensor.Data[float32](got["y"]), tensor.Data[float32](want["y"])); d > 1e-4 {
				t.Fatalf("it %d threads %d: A %v perm %v, B %v perm %v: max diff %g", it, th, as, pa, bs, pb, d)
			}
		}
	}
}

// TestMatMulViewsKernels runs the view tests on every GEMM kernel
// the CPU has (AVX2 and the Go kernel too: their tiles and narrow forms
// differ).
func TestMatMulViewsKernels(t *testing.T) {
	defer func() { forcedGemm = nil }()
	for _, impl := range gemmImpls() {
		forcedGemm = impl
		t.Run(impl.kern.Name, func(t *testing.T) {
			TestMatMulViewsRanks(t)
			TestMatMulViewsRandom(t)
		})
	}
}

// TestMatMulFoldedScaleRange: a Div of an operand by a scalar, folded
// into the product's alpha, scales after the sums instead of before: a
// product that overflows float32 unscaled becomes +Inf where the graph's
// own order gives a finite value (and one that underflows becomes 0).
func TestMatMulFoldedScaleRange(t *testing.T) {
	cases := []struct {
		name    string
		a, b, s float32
	}{
		{"overflow", 1e30, 1e10, 1e10},
		{"underflow", 1e-30, 1e-20, 1e-20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nodes := []*onnx.Node{
				node("Div", []string{"a", "s"}, []string{"as"}),
				node("MatMul", []string{"as", "b"}, []string{"y"}),
			}
			shape := []int{2, 1, 1}
			ins := []onnx.ValueInfo{input("a", tensor.Float32, shape...), input("b", tensor.Float32, shape...)}
			in := feeds("a", tensor.MustFromSlice([]float32{c.a, c.a}, shape...), "b", tensor.MustFromSlice([]float32{c.b, c.b}, shape...))
			m := model(14, nodes, ins, []string{"y"}, map[string]*tensor.Tensor{"s": tensor.MustFromSlice([]float32{c.s})})
			want := runFusedOrNot(t, m, in, false, 1)["y"]
			got := runFusedOrNot(t, m, in, true, 1)["y"]
			w, g := tensor.Data[float32](want)[0], tensor.Data[float32](got)[0]
			if g != w {
				t.Fatalf("fused %v, unfused %v", g, w)
			}
		})
	}
}

// TestMatMulViewsEmpty: products with an empty axis (m, k or n 0)
// read and write their views at offsets from the permuted strides, which
// are past the end of an empty tensor.
func TestMatMulViewsEmpty(t *testing.T) {
	cases := []struct {
		name string
		a, b []int // the Transposes' input shapes (perm [1,0,2] on both)
		out  bool
	}{
		{"m=0 out", []int{0, 2, 5}, []int{2, 5, 4}, true},
		{"n=0 out", []int{3, 2, 5}, []int{2, 5, 0}, true},
		{"k=0", []int{3, 2, 0}, []int{2, 0, 4}, true},
		{"m=0 in", []int{0, 2, 5}, []int{2, 5, 4}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nodes := []*onnx.Node{
				node("Transpose", []string{"a"}, []string{"at"}, aInts("perm", 1, 0, 2)),
				node("MatMul", []string{"at", "b"}, []string{"p"}),
			}
			y := "p"
			if c.out {
				nodes = append(nodes, node("Transpose", []string{"p"}, []string{"y"}, aInts("perm", 1, 0, 2)))
				y = "y"
			}
			ins := []onnx.ValueInfo{input("a", tensor.Float32, c.a...), input("b", tensor.Float32, c.b...)}
			in := feeds("a", tensor.MustFromSlice(make([]float32, tensor.NumElements(c.a)), c.a...),
				"b", tensor.MustFromSlice(make([]float32, tensor.NumElements(c.b)), c.b...))
			m := model(14, nodes, ins, []string{y}, nil)
			want := runFusedOrNot(t, m, in, false, 1)
			for _, th := range []int{1, 2} {
				got := runFusedOrNot(t, m, in, true, th)
				if !equalInts(got[y].Shape(), want[y].Shape()) {
					t.Fatalf("shape %v, want %v", got[y].Shape(), want[y].Shape())
				}
				assertNear(t, got[y], want[y], 0)
			}
		})
	}
}

// TestMatMulViewsScaled is TestMatMulViewsRanks with a Div of
// the A view and a Mul of the B view by scalars (folded into the packing)
// and an output Transpose, on every kernel, 1 and 2 threads.
func TestMatMulViewsScaled(t *testing.T) {
	defer func() { forcedGemm = nil }()
	r := rand.New(rand.NewPCG(13, 14))
	dims := []int{1, 2, 5, 16, 17, 40, 260}
	for _, impl := range gemmImpls() {
		forcedGemm = impl
		for it := range 60 {
			m, k, n := dims[r.IntN(len(dims))], dims[r.IntN(len(dims))], dims[r.IntN(len(dims))]
			b0, b1 := 1+r.IntN(3), 1+r.IntN(3)
			as, bs := []int{m, b0, b1, k}, []int{b0, b1, n, k} // A: [1,2,0,3] view; B: [0,1,3,2]
			nodes := []*onnx.Node{
				node("Transpose", []string{"a"}, []string{"at"}, aInts("perm", 1, 2, 0, 3)),
				node("Div", []string{"at", "s"}, []string{"as"}),
				node("Transpose", []string{"b"}, []string{"bt"}, aInts("perm", 0, 1, 3, 2)),
				node("Mul", []string{"s2", "bt"}, []string{"bm"}),
				node("MatMul", []string{"as", "bm"}, []string{"p"}),
				node("Transpose", []string{"p"}, []string{"y"}, aInts("perm", 2, 0, 1, 3)),
			}
			ins := []onnx.ValueInfo{input("a", tensor.Float32, as...), input("b", tensor.Float32, bs...)}
			in := feeds("a", tensor.MustFromSlice(randFloats(r, tensor.NumElements(as)), as...),
				"b", tensor.MustFromSlice(randFloats(r, tensor.NumElements(bs)), bs...))
			md := model(14, nodes, ins, []string{"y"}, map[string]*tensor.Tensor{
				"s": tensor.MustFromSlice([]float32{2.828427}), "s2": tensor.MustFromSlice([]float32{0.37}, 1)})
			want := runFusedOrNot(t, md, in, false, 1)
			if s := mustSession(t, md, 1); len(s.(*session).plan.steps) != 1 {
				t.Fatalf("%d steps, want 1", len(s.(*session).plan.steps))
			}
			for _, th := range []int{1, 2} {
				got := runFusedOrNot(t, md, in, true, th)
				if !equalInts(got["y"].Shape(), want["y"].Shape()) {
					t.Fatalf("shape %v, want %v", got["y"].Shape(), want["y"].Shape())
				}
				if d := maxAbsDiff(tensor.Data[float32](got["y"]), tensor.Data[float32](want["y"])); d > 1e-4 {
					t.Fatalf("%s it %d threads %d (m %d k %d n %d): max diff %g", impl.kern.Name, it, th, m, k, n, d)
				}
			}
		}
	}
}
