package native

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// testZoo is where scripts/gen-zoo.sh writes the large real models, as
// seen from this package's directory; INFERD_ZOO overrides it.
func testZoo() string {
	if zoo := os.Getenv("INFERD_ZOO"); zoo != "" {
		return zoo
	}
	return filepath.Join("..", "..", ".cache", "zoo")
}

// varyingModel is a model run on batches of varying size: its file and
// the shape of one sample.
type varyingModel struct {
	name, path string
	sample     []int
}

// varyingModels are the models the varying-batch tests run: the
// transformers, whose shapes follow the batch through Reshapes, the MLP
// and the CNN.
func varyingModels() []varyingModel {
	return []varyingModel{
		{"transformer_encoder", filepath.Join("..", "..", "examples", "zoo", "transformer_encoder", "model.onnx"), []int{12}},
		{"transformer_gelu", filepath.Join(testZoo(), "transformer_gelu", "model.onnx"), []int{32}},
		{"digits-mlp", filepath.Join("..", "..", "examples", "models", "digits-mlp", "1", "model.onnx"), []int{1, 8, 8}},
		{"digits", filepath.Join("..", "..", "examples", "models", "digits", "1", "model.onnx"), []int{1, 8, 8}},
	}
}

// Builders for hand-made models.

func node(op string, in, out []string, attrs ...*onnx.Attribute) *onnx.Node {
	n := &onnx.Node{Name: "n_" + op, OpType: op, Inputs: in, Outputs: out, Attrs: map[string]*onnx.Attribute{}}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
	}
	return n
}

func aInt(name string, v int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInt, Int: v}
}

func aInts(name string, v ...int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
}

func aFloat(name string, v float32) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrFloat, Float: v}
}

func aString(name, v string) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrString, String: v}
}

func aTensor(name string, v *tensor.Tensor) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrTensor, Tensor: v}
}

// input declares a graph input; dims < 0 are symbolic.
func input(name string, dt tensor.DType, dims ...int) onnx.ValueInfo {
	shape := make([]onnx.Dim, len(dims))
	for i, d := range dims {
		shape[i] = onnx.Dim{Value: int64(d)}
		if d < 0 {
			shape[i] = onnx.Dim{Value: -1, Param: "d"}
		}
	}
	return onnx.ValueInfo{Name: name, Type: onnx.Type{Kind: onnx.KindTensor, DType: dt, Shape: shape, HasRank: true}}
}

func output(name string) onnx.ValueInfo {
	return onnx.ValueInfo{Name: name, Type: onnx.Type{Kind: onnx.KindTensor, DType: tensor.Float32}}
}

// model assembles a model importing the default domain at opset.
func model(opset int64, nodes []*onnx.Node, inputs []onnx.ValueInfo, outputs []string, inits map[string]*tensor.Tensor) *onnx.Model {
	g := &onnx.Graph{Name: "test", Nodes: nodes, Inputs: inputs, Initializers: inits}
	for _, o := range outputs {
		g.Outputs = append(g.Outputs, output(o))
	}
	if g.Initializers == nil {
		g.Initializers = map[string]*tensor.Tensor{}
	}
	return &onnx.Model{Opsets: map[string]int64{"": opset}, Graph: g}
}

// opModel is a model of one node whose inputs are the given tensors
// (declared with symbolic dimensions) or initializers.
func opModel(opset int64, n *onnx.Node, feeds map[string]*tensor.Tensor, inits map[string]*tensor.Tensor) *onnx.Model {
	var ins []onnx.ValueInfo
	for _, name := range n.Inputs {
		if t, ok := feeds[name]; ok {
			dims := make([]int, t.Rank())
			for i := range dims {
				dims[i] = -1
			}
			ins = append(ins, input(name, t.DType(), dims...))
		}
	}
	var outs []string
	for _, o := range n.Outputs {
		if o != "" {
			outs = append(outs, o)
		}
	}
	return model(opset, []*onnx.Node{n}, ins, outs, inits)
}

// runOp loads and runs a one-node model.
func runOp(t *testing.T, opset int64, n *onnx.Node, feeds, inits map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	t.Helper()
	s, err := NewSession(context.Background(), opModel(opset, n, feeds, inits), engine.Options{IntraOpThreads: 2})
	if err != nil {
		return nil, err
	}
	return s.Run(context.Background(), feeds)
}

func f32(shape []int, data ...float32) *tensor.Tensor { return tensor.MustFromSlice(data, shape...) }
func i64(shape []int, data ...int64) *tensor.Tensor   { return tensor.MustFromSlice(data, shape...) }

// seq returns n float32 values start, start+step, ...
func seq(n int, start, step float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = start + float32(i)*step
	}
	return s
}

func feeds(kv ...any) map[string]*tensor.Tensor {
	m := map[string]*tensor.Tensor{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(*tensor.Tensor)
	}
	return m
}

// assertClose fails unless got has want's shape and values within 1e-5
// relative or absolute.
func assertClose(t *testing.T, got *tensor.Tensor, want *tensor.Tensor) {
	t.Helper()
	if got == nil {
		t.Fatal("missing output")
	}
	if got.DType() != want.DType() || !equalInts(got.Shape(), want.Shape()) {
		t.Fatalf("got %v, want %v", got, want)
	}
	switch w := want.Data().(type) {
	case []float32:
		g := tensor.Data[float32](got)
		for i := range w {
			if d := math.Abs(float64(g[i] - w[i])); d > 1e-5+1e-5*math.Abs(float64(w[i])) {
				t.Fatalf("element %d: got %v, want %v", i, g[i], w[i])
			}
		}
	case []int64:
		g := tensor.Data[int64](got)
		for i := range w {
			if g[i] != w[i] {
				t.Fatalf("element %d: got %v, want %v", i, g[i], w[i])
			}
		}
	default:
		t.Fatalf("assertClose: unsupported %v", want.DType())
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func mustSession(tb testing.TB, m *onnx.Model, threads int) engine.Session {
	tb.Helper()
	s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: threads})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func mustRun(tb testing.TB, s engine.Session, in map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	tb.Helper()
	out, err := s.Run(context.Background(), in)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// assertNear compares float32 tensors with an absolute and relative
// tolerance.
func assertNear(t *testing.T, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if got == nil || !equalInts(got.Shape(), want.Shape()) {
		t.Fatalf("got %v, want %v", got, want)
	}
	g, w := tensor.Data[float32](got), tensor.Data[float32](want)
	for i := range w {
		if d := math.Abs(float64(g[i] - w[i])); d > tol+tol*math.Abs(float64(w[i])) || math.IsNaN(float64(g[i])) {
			t.Fatalf("element %d: got %v, want %v", i, g[i], w[i])
		}
	}
}

var (
	posInf = math.Inf(1)
	negInf = math.Inf(-1)
	nan    = math.NaN()
)

// accumulateLoopBody is a Loop body that adds the outer x to its carried
// acc at each step and scans out every acc.
func accumulateLoopBody() *onnx.Graph {
	return &onnx.Graph{Name: "body",
		Inputs: []onnx.ValueInfo{input("i", tensor.Int64), input("cond", tensor.Bool), input("acc", tensor.Float32, -1)},
		Nodes: []*onnx.Node{
			node("Identity", []string{"cond"}, []string{"cond_out"}),
			node("Add", []string{"acc", "x"}, []string{"acc_out"}),
			node("Identity", []string{"acc_out"}, []string{"scan"}),
		},
		Outputs: []onnx.ValueInfo{output("cond_out"), output("acc_out"), output("scan")}}
}

// maxAbsDiff returns the largest |a[i] − b[i]|, NaN when a difference is NaN.
func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		x := math.Abs(float64(a[i] - b[i]))
		if math.IsNaN(x) {
			return x
		}
		d = max(d, x)
	}
	return d
}

// transposeSource returns the shape a Transpose with permutation p must
// read to produce shape.
func transposeSource(shape []int, p []int64) []int {
	s := make([]int, len(p))
	for i, a := range p {
		s[a] = shape[i]
	}
	return s
}
