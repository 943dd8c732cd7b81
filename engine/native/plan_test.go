package native

import (
	"context"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

func TestLoadErrors(t *testing.T) {
	x := []onnx.ValueInfo{input("x", tensor.Float32, 2, 3)}
	relu := func(in, out string) *onnx.Node { return node("Relu", []string{in}, []string{out}) }
	named := func(n *onnx.Node, name string) *onnx.Node { n.Name = name; return n }
	tests := []struct {
		name  string
		model *onnx.Model
		want  []string
	}{
		{
			name: "every unsupported operator listed",
			model: model(13, []*onnx.Node{
				named(node("Foo", []string{"x"}, []string{"a"}), "f1"),
				relu("a", "b"),
				named(node("Bar", []string{"b"}, []string{"c"}), "b1"),
				named(node("Foo", []string{"c"}, []string{"y"}), "f2"),
			}, x, []string{"y"}, nil),
			want: []string{"unsupported operators: Foo (opset 13) at nodes f1, f2; Bar (opset 13) at node b1"},
		},
		{
			name: "many nodes of one operator abbreviated",
			model: model(13, []*onnx.Node{
				named(node("Foo", []string{"x"}, []string{"a"}), "f1"),
				named(node("Foo", []string{"a"}, []string{"b"}), "f2"),
				named(node("Foo", []string{"b"}, []string{"c"}), "f3"),
				named(node("Foo", []string{"c"}, []string{"y"}), "f4"),
			}, x, []string{"y"}, nil),
			want: []string{"Foo (opset 13) at nodes f1, f2, f3 and 1 more"},
		},
		{
			name:  "opset newer than supported",
			model: model(18, []*onnx.Node{relu("x", "y")}, x, []string{"y"}, nil),
			want:  []string{"unsupported operators: Relu (opset 18)"},
		},
		{
			name:  "operator newer than the imported opset",
			model: model(13, []*onnx.Node{node("HardSwish", []string{"x"}, []string{"y"})}, x, []string{"y"}, nil),
			want:  []string{"HardSwish (opset 13)"},
		},
		{
			name: "domain not imported",
			model: model(13, []*onnx.Node{func() *onnx.Node {
				n := node("TreeEnsembleClassifier", []string{"x"}, []string{"y"})
				n.Domain = "ai.onnx.ml"
				return n
			}()}, x, []string{"y"}, nil),
			want: []string{`ai.onnx.ml.TreeEnsembleClassifier (domain "ai.onnx.ml" not imported)`},
		},
		{
			name:  "undefined input",
			model: model(13, []*onnx.Node{relu("nope", "y")}, x, []string{"y"}, nil),
			want:  []string{`undefined values: "nope"`},
		},
		{
			name:  "value produced twice",
			model: model(13, []*onnx.Node{relu("x", "y"), relu("x", "y")}, x, []string{"y"}, nil),
			want:  []string{`value "y" is produced by both`},
		},
		{
			name:  "cycle",
			model: model(13, []*onnx.Node{relu("b", "a"), relu("a", "b"), relu("x", "y")}, x, []string{"y", "a"}, nil),
			want:  []string{"cycle"},
		},
		{
			name:  "output not produced",
			model: model(13, []*onnx.Node{relu("x", "y")}, x, []string{"z"}, nil),
			want:  []string{`graph output "z" is not produced`},
		},
		{
			name:  "no graph",
			model: &onnx.Model{},
			want:  []string{"no graph"},
		},
		{
			name: "constant folding failure names the node",
			model: model(13, []*onnx.Node{
				node("Reshape", []string{"c", "s"}, []string{"r"}),
				node("Add", []string{"x", "r"}, []string{"y"}),
			}, x, []string{"y"}, map[string]*tensor.Tensor{"c": f32([]int{6}, seq(6, 0, 1)...), "s": i64([]int{2}, 4, 4)}),
			want: []string{"evaluating constant node n_Reshape", "cannot reshape"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSession(context.Background(), tc.model, engine.Options{})
			if err == nil {
				t.Fatal("NewSession succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestAttributeValidation(t *testing.T) {
	w := f32([]int{2, 1, 3, 3}, seq(18, 0, 1)...)
	tests := []struct {
		name  string
		opset int64
		node  *onnx.Node
		inits map[string]*tensor.Tensor
		want  string
	}{
		{"conv auto_pad", 13, node("Conv", []string{"x", "w"}, []string{"y"}, aString("auto_pad", "SAME")), map[string]*tensor.Tensor{"w": w}, `unsupported auto_pad "SAME"`},
		{"conv pads with auto_pad", 13, node("Conv", []string{"x", "w"}, []string{"y"}, aString("auto_pad", "VALID"), aInts("pads", 0, 0, 0, 0)), map[string]*tensor.Tensor{"w": w}, "pads cannot be used"},
		{"conv pads length", 13, node("Conv", []string{"x", "w"}, []string{"y"}, aInts("strides", 1, 1), aInts("pads", 1, 1, 1)), map[string]*tensor.Tensor{"w": w}, "pads has 3 values, want 4"},
		{"conv kernel_shape mismatch", 13, node("Conv", []string{"x", "w"}, []string{"y"}, aInts("kernel_shape", 2, 2)), map[string]*tensor.Tensor{"w": w}, "does not match weights"},
		{"conv group", 13, node("Conv", []string{"x", "w"}, []string{"y"}, aInt("group", 0)), map[string]*tensor.Tensor{"w": w}, "group is 0"},
		{"conv group divides outputs", 13, node("Conv", []string{"x", "w"}, []string{"y"}, aInt("group", 3)), map[string]*tensor.Tensor{"w": w}, "not divisible by group 3"},
		{"conv strides zero", 13, node("Conv", []string{"x", "w"}, []string{"y"}, aInts("strides", 0, 1)), map[string]*tensor.Tensor{"w": w}, "strides has invalid value"},
		{"conv bias length", 13, node("Conv", []string{"x", "w", "b"}, []string{"y"}), map[string]*tensor.Tensor{"w": w, "b": f32([]int{3}, 1, 2, 3)}, "bias of shape [3]"},
		{"attribute type", 13, node("Gemm", []string{"x", "w"}, []string{"y"}, aFloat("transA", 1)), nil, "attribute transA has type FLOAT, want INT"},
		{"bool attribute range", 13, node("Gemm", []string{"x", "w"}, []string{"y"}, aInt("transB", 2)), nil, "transB is 2, want 0 or 1"},
		{"maxpool kernel_shape", 13, node("MaxPool", []string{"x"}, []string{"y"}), nil, "kernel_shape is required"},
		{"maxpool storage_order", 13, node("MaxPool", []string{"x"}, []string{"y"}, aInts("kernel_shape", 2, 2), aInt("storage_order", 2)), nil, "storage_order is 2"},
		{"averagepool dilations", 13, node("AveragePool", []string{"x"}, []string{"y"}, aInts("kernel_shape", 2, 2), aInts("dilations", 2, 2)), nil, "dilations is not supported"},
		{"cast to an unknown type", 13, node("Cast", []string{"x"}, []string{"y"}, aInt("to", 99)), nil, "data type 99 is not supported"},
		{"cast without to", 13, node("Cast", []string{"x"}, []string{"y"}), nil, "attribute to is required"},
		{"constant two values", 13, node("Constant", nil, []string{"y"}, aFloat("value_float", 1), aInt("value_int", 1)), nil, "exactly one value attribute"},
		{"constant sparse", 13, node("Constant", nil, []string{"y"}, &onnx.Attribute{Name: "sparse_value", Type: onnx.AttrSparseTensor}), nil, "sparse_value is not supported"},
		{"batchnorm outputs", 9, node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y", "mean"}), nil, "training outputs"},
		{"dropout training", 13, node("Dropout", []string{"x", "", "t"}, []string{"y"}), map[string]*tensor.Tensor{"t": tensor.Scalar(true)}, "training_mode must be false"},
		{"transpose perm", 13, node("Transpose", []string{"x"}, []string{"y"}, aInts("perm", 0, 0)), nil, "not a permutation"},
		{"reshape attribute", 13, node("Reshape", []string{"x", "s"}, []string{"y"}, aInts("shape", 1)), nil, "opset < 5"},
		{"unsqueeze axes", 11, node("Unsqueeze", []string{"x"}, []string{"y"}), nil, "needs the axes attribute"},
		{"concat axis", 13, node("Concat", []string{"x"}, []string{"y"}), nil, "axis is required"},
		{"add broadcast attribute", 13, node("Add", []string{"x", "x"}, []string{"y"}, aInt("broadcast", 1)), nil, "opset < 7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ins := []onnx.ValueInfo{input("x", tensor.Float32, -1, -1, -1, -1)}
			for _, name := range tc.node.Inputs {
				if name != "" && name != "x" && tc.inits[name] == nil {
					ins = append(ins, input(name, tensor.Float32, -1))
				}
			}
			m := model(tc.opset, []*onnx.Node{tc.node}, ins, []string{tc.node.Outputs[0]}, tc.inits)
			_, err := NewSession(context.Background(), m, engine.Options{})
			if err == nil {
				t.Fatal("NewSession succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "n_") {
				t.Errorf("error %q does not contain %q and the node name", err, tc.want)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	// x -> Relu -> a -> Add(a, folded) -> y; dead -> unused; the constant
	// branch Constant -> Neg is folded at load.
	nodes := []*onnx.Node{
		node("Add", []string{"a", "negc"}, []string{"y"}), // out of order on purpose
		node("Relu", []string{"x"}, []string{"a"}),
		node("Sigmoid", []string{"x"}, []string{"dead"}),
		node("Constant", nil, []string{"c"}, aTensor("value", f32([]int{3}, 1, 2, 3))),
		node("Neg", []string{"c"}, []string{"negc"}),
	}
	m := model(13, nodes, []onnx.ValueInfo{input("x", tensor.Float32, -1, 3)}, []string{"y"}, nil)
	// Without the rewrites, which would fuse Relu and Add.
	fusionEnabled = false
	defer func() { fusionEnabled = true }()
	p, err := newPlan(context.Background(), m, 1, newLimits(engine.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, st := range p.steps {
		ops = append(ops, st.node.OpType)
	}
	if strings.Join(ops, ",") != "Relu,Add" {
		t.Fatalf("steps = %v, want Relu,Add (topological, dead code dropped, constants folded)", ops)
	}
	// a dies after Add; x (an input) after Relu; y is an output.
	if len(p.steps[0].release) != 1 || len(p.steps[1].release) != 1 {
		t.Errorf("release lists = %v, %v", p.steps[0].release, p.steps[1].release)
	}
	s, err := NewSession(context.Background(), m, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(context.Background(), feeds("x", f32([]int{2, 3}, -1, 0, 1, 2, 3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, out["y"], f32([]int{2, 3}, -1, -2, -2, 1, 1, 1))
}
