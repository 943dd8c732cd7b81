package native

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Test-only operators, in a domain no model uses.
const testDomain = "inferd.test"

// cancelRun is called by the CancelRun test operator.
var cancelRun func()

func init() {
	registerDef(testDomain, "Panic", opDef{minVersion: 1, maxVersion: 1, build: func(b *buildCtx) (kernel, error) {
		return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
			parallelFor(2, 2, 1, func(lo, hi int) {
				if lo <= 1 && 1 < hi { // on a helper when the region is split, else on the caller
					var s []int
					_ = s[1]
				}
			})
			return nil
		}), nil
	}})
	registerDef(testDomain, "CancelRun", opDef{minVersion: 1, maxVersion: 1, noFold: true, build: func(b *buildCtx) (kernel, error) {
		return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
			cancelRun()
			out[0] = in[0]
			return nil
		}), nil
	}})
}

func testOpModel(op string, x onnx.ValueInfo) *onnx.Model {
	n := node(op, []string{"x"}, []string{"a"})
	n.Domain = testDomain
	m := model(13, []*onnx.Node{n, node("Relu", []string{"a"}, []string{"y"})}, []onnx.ValueInfo{x}, []string{"y"}, nil)
	m.Opsets[testDomain] = 1
	return m
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name  string
		node  *onnx.Node
		feeds map[string]*tensor.Tensor
		inits map[string]*tensor.Tensor
		want  string
	}{
		{"gemm inner dims", node("Gemm", []string{"a", "b"}, []string{"y"}), feeds("a", f32([]int{2, 3}, seq(6, 0, 1)...)), map[string]*tensor.Tensor{"b": f32([]int{4, 2}, seq(8, 0, 1)...)}, "Gemm inner dimensions differ"},
		{"matmul inner dims", node("MatMul", []string{"a", "b"}, []string{"y"}), feeds("a", f32([]int{2, 3}, seq(6, 0, 1)...), "b", f32([]int{2, 2}, seq(4, 0, 1)...)), nil, "MatMul inner dimensions differ"},
		{"matmul batch dims", node("MatMul", []string{"a", "b"}, []string{"y"}), feeds("a", f32([]int{2, 1, 2}, seq(4, 0, 1)...), "b", f32([]int{3, 2, 1}, seq(6, 0, 1)...)), nil, "cannot be broadcast"},
		{"add shapes", node("Add", []string{"a", "b"}, []string{"y"}), feeds("a", f32([]int{2, 3}, seq(6, 0, 1)...), "b", f32([]int{2}, 1, 2)), nil, "cannot be broadcast"},
		{"add dtypes", node("Add", []string{"a", "b"}, []string{"y"}), feeds("a", f32([]int{1}, 1), "b", i64([]int{1}, 1)), nil, "different element types"},
		{"sigmoid ints", node("Sigmoid", []string{"a"}, []string{"y"}), feeds("a", i64([]int{1}, 1)), nil, "Sigmoid does not support element type INT64"},
		{"integer division by zero", node("Div", []string{"a", "b"}, []string{"y"}), feeds("a", i64([]int{2}, 4, 5), "b", i64([]int{2}, 2, 0)), nil, "division by zero"},
		{"reshape count", node("Reshape", []string{"a", "s"}, []string{"y"}), feeds("a", f32([]int{2, 3}, seq(6, 0, 1)...), "s", i64([]int{2}, 4, -1)), nil, "cannot reshape"},
		{"reshape two -1", node("Reshape", []string{"a", "s"}, []string{"y"}), feeds("a", f32([]int{2, 3}, seq(6, 0, 1)...), "s", i64([]int{2}, -1, -1)), nil, "more than one -1"},
		{"squeeze non-1", node("Squeeze", []string{"a", "s"}, []string{"y"}), feeds("a", f32([]int{2, 3}, seq(6, 0, 1)...), "s", i64([]int{1}, 0)), nil, "is not 1"},
		{"concat shapes", node("Concat", []string{"a", "b"}, []string{"y"}, aInt("axis", 0)), feeds("a", f32([]int{1, 3}, 1, 2, 3), "b", f32([]int{1, 2}, 1, 2)), nil, "differ outside axis 0"},
		{"gather range", node("Gather", []string{"a", "i"}, []string{"y"}), feeds("a", f32([]int{2}, 1, 2), "i", i64([]int{1}, -3)), nil, "out of range"},
		{"conv channels", node("Conv", []string{"a", "w"}, []string{"y"}), feeds("a", f32([]int{1, 2, 3, 3}, seq(18, 0, 1)...)), map[string]*tensor.Tensor{"w": f32([]int{1, 1, 2, 2}, 1, 1, 1, 1)}, "Conv input has 2 channels"},
		{"conv too small", node("Conv", []string{"a", "w"}, []string{"y"}), feeds("a", f32([]int{1, 1, 1, 3}, 1, 2, 3)), map[string]*tensor.Tensor{"w": f32([]int{1, 1, 2, 2}, 1, 1, 1, 1)}, "smaller than the kernel"},
		{"pool rank", node("MaxPool", []string{"a"}, []string{"y"}, aInts("kernel_shape", 2, 2)), feeds("a", f32([]int{1, 4}, 1, 2, 3, 4)), nil, "spatial dimensions"},
		{"clip bound shape", node("Clip", []string{"a", "lo"}, []string{"y"}), feeds("a", f32([]int{2}, 1, 2), "lo", f32([]int{2}, 0, 0)), nil, "single value"},
		{"dropout training at run time", node("Dropout", []string{"a", "", "t"}, []string{"y"}), feeds("a", f32([]int{2}, 1, 2), "t", tensor.MustFromSlice([]bool{true})), nil, "training mode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runOp(t, 13, tc.node, tc.feeds, tc.inits)
			if !errors.Is(err, engine.ErrInvalidInput) {
				t.Fatalf("error %v does not wrap ErrInvalidInput", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.node.Name) {
				t.Errorf("error %q does not contain %q and the node name", err, tc.want)
			}
		})
	}
}

func TestPanicBecomesError(t *testing.T) {
	var logged bytes.Buffer
	opts := engine.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))}
	s, err := NewSession(context.Background(), testOpModel("Panic", input("x", tensor.Float32, 2)), opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(context.Background(), feeds("x", f32([]int{2}, 1, 2)))
	if !errors.Is(err, engine.ErrInvalidInput) || !strings.Contains(err.Error(), "n_Panic") || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("Run error = %v, want an internal error naming the node", err)
	}
	if strings.Contains(err.Error(), "goroutine") {
		t.Errorf("Run error %q contains a stack trace", err)
	}
	if !strings.Contains(logged.String(), "session_test.go") {
		t.Errorf("log %q lacks the worker's stack", logged.String())
	}
}

func TestCancellation(t *testing.T) {
	s, err := NewSession(context.Background(), testOpModel("CancelRun", input("x", tensor.Float32, 2)), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancelRun = cancel
	if _, err := s.Run(ctx, feeds("x", f32([]int{2}, 1, 2))); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled after the cancelling node", err)
	}
	if _, err := NewSession(ctx, model(13, nil, nil, nil, nil), engine.Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("NewSession with a cancelled context succeeded")
	}
}

// TestBufferReuse runs a chain whose intermediates are recycled and checks
// that outputs survive later runs, that outputs equal to constants are
// copies, and that reshaped views keep their buffer alive.
func TestBufferReuse(t *testing.T) {
	nodes := []*onnx.Node{
		node("Relu", []string{"x"}, []string{"a"}),
		node("Reshape", []string{"a", "shape"}, []string{"view"}), // view of a
		node("Neg", []string{"x"}, []string{"b"}),                 // a's buffer must not be reused here
		node("Add", []string{"view", "b2"}, []string{"sum"}),
		node("Reshape", []string{"b", "shape"}, []string{"b2"}),
		node("Identity", []string{"c"}, []string{"const_out"}),
		node("Abs", []string{"sum"}, []string{"y"}),
	}
	inits := map[string]*tensor.Tensor{"shape": i64([]int{2}, 3, 2), "c": f32([]int{2}, 7, 8)}
	m := model(13, nodes, []onnx.ValueInfo{input("x", tensor.Float32, 2, 3)}, []string{"y", "view", "const_out"}, inits)
	s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	run := func(v float32) map[string]*tensor.Tensor {
		out, err := s.Run(context.Background(), feeds("x", f32([]int{2, 3}, seq(6, v, 1)...)))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := run(-2)
	firstY := slices.Clone(tensor.Data[float32](first["y"]))
	firstView := slices.Clone(tensor.Data[float32](first["view"]))
	tensor.Data[float32](first["const_out"])[0] = 99 // must not change the model
	for i := range 5 {
		second := run(float32(10 * (i + 1)))
		if slices.Equal(tensor.Data[float32](second["y"]), firstY) {
			t.Fatal("second run returned the first run's values")
		}
		assertClose(t, second["const_out"], f32([]int{2}, 7, 8))
	}
	if !slices.Equal(tensor.Data[float32](first["y"]), firstY) || !slices.Equal(tensor.Data[float32](first["view"]), firstView) {
		t.Fatal("a later run overwrote an earlier run's outputs")
	}
	// relu(x) - x over x = -2..3 is 2, 1, 0, 0, 0, 0; y = |relu(x) + -x|.
	assertClose(t, first["y"], f32([]int{3, 2}, 2, 1, 0, 0, 0, 0))
	assertClose(t, first["view"], f32([]int{3, 2}, 0, 0, 0, 1, 2, 3))
}

func TestInfos(t *testing.T) {
	m := model(13, []*onnx.Node{node("Relu", []string{"x"}, []string{"y"})}, []onnx.ValueInfo{input("x", tensor.Float32, -1, 3)}, []string{"y"}, nil)
	s, err := NewSession(context.Background(), m, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := s.Inputs()
	if len(in) != 1 || in[0].Name != "x" || in[0].DType != tensor.Float32 || !slices.Equal(in[0].Shape, []int{-1, 3}) {
		t.Fatalf("Inputs() = %+v", in)
	}
	in[0].Shape[1] = 100
	if s.Inputs()[0].Shape[1] != 3 {
		t.Fatal("Inputs() exposes the session's own slice")
	}
	if out := s.Outputs(); len(out) != 1 || out[0].Name != "y" || out[0].Shape != nil {
		t.Fatalf("Outputs() = %+v", out)
	}
	if _, err := s.Run(context.Background(), feeds("x", f32([]int{2, 2}, 1, 2, 3, 4))); !errors.Is(err, engine.ErrInvalidInput) {
		t.Fatalf("Run with a wrong fixed dimension: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEngineRegistered(t *testing.T) {
	e, err := engine.Get("native")
	if err != nil {
		t.Fatal(err)
	}
	if e.Name() != Name {
		t.Fatalf("Name() = %q", e.Name())
	}
	if len(SupportedOps()) < 40 {
		t.Fatalf("SupportedOps() = %v", SupportedOps())
	}
}

// TestScalarInputShape checks that a declared rank-0 input is described
// with an empty shape, not as one of unknown shape (nil).
func TestScalarInputShape(t *testing.T) {
	m := model(13, []*onnx.Node{node("Identity", []string{"sr"}, []string{"y"})},
		[]onnx.ValueInfo{input("sr", tensor.Int64)}, []string{"y"}, nil)
	s := mustSession(t, m, 1)
	in := s.Inputs()
	if len(in) != 1 || in[0].Shape == nil || len(in[0].Shape) != 0 {
		t.Fatalf("Inputs() = %#v, want one input of shape []", in)
	}
	out := mustRun(t, s, feeds("sr", tensor.Scalar(int64(16000))))
	if got := tensor.Data[int64](out["y"]); len(got) != 1 || got[0] != 16000 {
		t.Fatalf("y = %v", got)
	}
}
