package native

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestRNNFast compares the float32 path of RNN, GRU and LSTM with the
// general one (which float64 inputs take) over directions, layouts,
// biases, initial states, peepholes, clip and GRU's linear_before_reset.
func TestRNNFast(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const seq, batch, in, h = 5, 3, 4, 6
	for _, op := range []string{"RNN", "GRU", "LSTM"} {
		g := map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[op]
		for _, dir := range []string{"forward", "reverse", "bidirectional"} {
			for _, layout := range []int64{0, 1} {
				for _, variant := range []int{0, 1} {
					dirs := 1
					if dir == "bidirectional" {
						dirs = 2
					}
					name := fmt.Sprintf("%s/%s/layout%d/%d", op, dir, layout, variant)
					xs := []int{seq, batch, in}
					ss := []int{dirs, batch, h}
					if layout == 1 {
						xs, ss = []int{batch, seq, in}, []int{batch, dirs, h}
					}
					mk := func(shape ...int) *tensor.Tensor { return tensor.MustFromSlice(randFloats(r, prod(shape)), shape...) }
					ins := map[string]*tensor.Tensor{"x": mk(xs...), "w": mk(dirs, g*h, in), "r": mk(dirs, g*h, h),
						"b": mk(dirs, 2*g*h), "h0": mk(ss...)}
					names := []string{"x", "w", "r", "b", "", "h0"}
					attrs := []*onnx.Attribute{aInt("hidden_size", h), aString("direction", dir)}
					if layout == 1 {
						attrs = append(attrs, aInt("layout", 1))
					}
					if variant == 1 {
						attrs = append(attrs, aFloat("clip", 1.5))
						if op == "GRU" {
							attrs = append(attrs, aInt("linear_before_reset", 1))
						}
					}
					outs := []string{"y", "yh"}
					if op == "LSTM" {
						ins["c0"], ins["p"] = mk(ss...), mk(dirs, 3*h)
						names = append(names, "c0", "p")
						outs = append(outs, "yc")
					}
					n := node(op, names, outs, attrs...)
					got, err := runOp(t, 14, n, ins, nil)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					wide := map[string]*tensor.Tensor{}
					for k, v := range ins {
						d := make([]float64, v.Len())
						castSlice(d, v.Data())
						wide[k] = tensor.MustFromSlice(d, v.Shape()...)
					}
					want, err := runOp(t, 14, n, wide, nil)
					if err != nil {
						t.Fatalf("%s (float64): %v", name, err)
					}
					for _, o := range outs {
						gv, wv := tensor.Data[float32](got[o]), tensor.Data[float64](want[o])
						if !equalInts(got[o].Shape(), want[o].Shape()) {
							t.Fatalf("%s: %s shape %v, want %v", name, o, got[o].Shape(), want[o].Shape())
						}
						for i := range wv {
							if math.Abs(float64(gv[i])-wv[i]) > 1e-5 {
								t.Fatalf("%s: %s[%d] = %v, general path %v", name, o, i, gv[i], wv[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestRNNVector compares the vectorised gates (default activations, no
// clip, no peepholes) with the general float64 path, with W and R fed or
// constant (packed at build time), at batch sizes on both sides of the
// LSTM's per-step GEMM and a hidden size that is not a multiple of the
// vector width.
func TestRNNVector(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const seq, in, h = 4, 5, 20
	for _, op := range []string{"RNN", "GRU", "LSTM"} {
		g := map[string]int{"RNN": 1, "GRU": 3, "LSTM": 4}[op]
		for _, dir := range []string{"forward", "reverse", "bidirectional"} {
			for _, c := range []struct {
				layout, batch int
				consts, lbr   bool
			}{{0, 1, false, false}, {0, 5, true, true}, {1, 6, true, false}, {1, 2, false, true}} {
				dirs := map[string]int{"forward": 1, "reverse": 1, "bidirectional": 2}[dir]
				name := fmt.Sprintf("%s/%s/%+v", op, dir, c)
				xs, ss := []int{seq, c.batch, in}, []int{dirs, c.batch, h}
				attrs := []*onnx.Attribute{aInt("hidden_size", h), aString("direction", dir)}
				if c.layout == 1 {
					xs, ss = []int{c.batch, seq, in}, []int{c.batch, dirs, h}
					attrs = append(attrs, aInt("layout", 1))
				}
				if op == "GRU" && c.lbr {
					attrs = append(attrs, aInt("linear_before_reset", 1))
				}
				mk := func(shape ...int) *tensor.Tensor { return tensor.MustFromSlice(randFloats(r, prod(shape)), shape...) }
				feeds := map[string]*tensor.Tensor{"x": mk(xs...), "h0": mk(ss...)}
				weights := map[string]*tensor.Tensor{"w": mk(dirs, g*h, in), "r": mk(dirs, g*h, h), "b": mk(dirs, 2*g*h)}
				names, outs := []string{"x", "w", "r", "b", "", "h0"}, []string{"y", "yh"}
				if op == "LSTM" {
					feeds["c0"] = mk(ss...)
					names, outs = append(names, "c0"), append(outs, "yc")
				}
				n := node(op, names, outs, attrs...)
				wide := map[string]*tensor.Tensor{}
				for k, v := range weights {
					wide[k] = widen(v)
					if !c.consts {
						feeds[k] = v
					}
				}
				for k, v := range feeds {
					wide[k] = widen(v)
				}
				inits := weights
				if !c.consts {
					inits = nil
				}
				got, err := runOp(t, 14, n, feeds, inits)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				want, err := runOp(t, 14, n, wide, nil)
				if err != nil {
					t.Fatalf("%s (float64): %v", name, err)
				}
				for _, o := range outs {
					gv, wv := tensor.Data[float32](got[o]), tensor.Data[float64](want[o])
					if !equalInts(got[o].Shape(), want[o].Shape()) {
						t.Fatalf("%s: %s shape %v, want %v", name, o, got[o].Shape(), want[o].Shape())
					}
					for i := range wv {
						if math.Abs(float64(gv[i])-wv[i]) > 2e-5 {
							t.Fatalf("%s: %s[%d] = %v, general path %v", name, o, i, gv[i], wv[i])
						}
					}
				}
			}
		}
	}
}

// widen returns a float32 tensor as float64.
func widen(v *tensor.Tensor) *tensor.Tensor {
	d := make([]float64, v.Len())
	castSlice(d, v.Data())
	return tensor.MustFromSlice(d, v.Shape()...)
}
