package perf

import (
	"slices"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// shapes propagates concrete shapes through a graph, far enough to count
// the FLOPs of its matrix operators: from the run's input shapes, through
// the operators whose output shape follows from their input shapes and
// constant inputs. Values it cannot work out are absent from shape.
type shapes struct {
	m     *onnx.Model
	shape map[string][]int
	ints  map[string][]int64 // constant integer values (initializers, Constant nodes)
}

// inferShapes returns the propagation for the given input shapes.
func inferShapes(m *onnx.Model, inputs map[string][]int) *shapes {
	s := &shapes{m: m, shape: map[string][]int{}, ints: map[string][]int64{}}
	for name, t := range m.Graph.Initializers {
		s.shape[name] = slices.Clone(t.Shape())
		s.setInts(name, t)
	}
	for name, sh := range inputs {
		s.shape[name] = sh
	}
	for _, n := range m.Graph.Nodes {
		s.node(n)
	}
	return s
}

func (s *shapes) setInts(name string, t *tensor.Tensor) {
	if t == nil || t.Len() > 64 {
		return
	}
	switch d := t.Data().(type) {
	case []int64:
		s.ints[name] = slices.Clone(d)
	case []int32:
		v := make([]int64, len(d))
		for i, x := range d {
			v[i] = int64(x)
		}
		s.ints[name] = v
	}
}

// in returns the shape of input i of n, if known.
func (s *shapes) in(n *onnx.Node, i int) ([]int, bool) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil, false
	}
	sh, ok := s.shape[n.Inputs[i]]
	return sh, ok
}

// constInts returns input i of n as constant integers, if known.
func (s *shapes) constInts(n *onnx.Node, i int) ([]int64, bool) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil, false
	}
	v, ok := s.ints[n.Inputs[i]]
	return v, ok
}

func (s *shapes) set(n *onnx.Node, sh []int) {
	if len(n.Outputs) > 0 && n.Outputs[0] != "" && sh != nil {
		s.shape[n.Outputs[0]] = sh
	}
}

var sameShapeOps = map[string]bool{
	"Relu": true, "LeakyRelu": true, "Sigmoid": true, "Tanh": true, "HardSigmoid": true, "HardSwish": true,
	"Elu": true, "Selu": true, "Gelu": true, "Erf": true, "Exp": true, "Log": true, "Sqrt": true, "Neg": true,
	"Abs": true, "Reciprocal": true, "Floor": true, "Ceil": true, "Round": true, "Sign": true, "Softplus": true,
	"Softsign": true, "Identity": true, "Cast": true, "Dropout": true, "Clip": true, "Softmax": true,
	"LogSoftmax": true, "BatchNormalization": true, "InstanceNormalization": true, "LayerNormalization": true,
	"LRN": true, "Not": true, "Mish": true, "Sin": true, "Cos": true, "ThresholdedRelu": true, "Celu": true,
}

var broadcastOps = map[string]bool{
	"Add": true, "Sub": true, "Mul": true, "Div": true, "Pow": true, "PRelu": true, "Max": true, "Min": true,
	"Sum": true, "Mean": true, "Equal": true, "Less": true, "Greater": true, "And": true, "Or": true, "Where": true,
	"LessOrEqual": true, "GreaterOrEqual": true, "Mod": true,
}

// node sets the shape of n's output when it follows from what is known of
// its inputs.
func (s *shapes) node(n *onnx.Node) {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return
	}
	switch op := n.OpType; {
	case op == "Constant":
		s.constant(n)
	case sameShapeOps[op]:
		if x, ok := s.in(n, 0); ok {
			s.set(n, slices.Clone(x))
		}
	case broadcastOps[op]:
		s.broadcast(n)
	case op == "Conv", op == "ConvTranspose", op == "MaxPool", op == "AveragePool", op == "LpPool":
		s.set(n, s.window(n))
	case op == "GlobalAveragePool", op == "GlobalMaxPool", op == "GlobalLpPool":
		s.globalPool(n)
	case op == "Flatten":
		s.flatten(n)
	case op == "Gemm":
		s.gemm(n)
	case op == "MatMul":
		a, okA := s.in(n, 0)
		b, okB := s.in(n, 1)
		if okA && okB {
			s.set(n, matmulShape(a, b))
		}
	default:
		s.layout(n)
	}
}

// constant records a Constant's shape and, when small, its integers.
func (s *shapes) constant(n *onnx.Node) {
	if t := n.AttrTensor("value"); t != nil {
		s.set(n, slices.Clone(t.Shape()))
		s.setInts(n.Outputs[0], t)
	} else if v := n.AttrInts("value_ints", nil); v != nil {
		s.set(n, []int{len(v)})
		s.ints[n.Outputs[0]] = v
	}
}

// broadcast sets the broadcast shape of all of n's inputs.
func (s *shapes) broadcast(n *onnx.Node) {
	var out []int
	for i := range n.Inputs {
		x, ok := s.in(n, i)
		if !ok {
			return
		}
		if out = broadcast(out, x); out == nil {
			return
		}
	}
	s.set(n, out)
}

// globalPool sets the input's shape with every spatial dimension 1.
func (s *shapes) globalPool(n *onnx.Node) {
	if x, ok := s.in(n, 0); ok && len(x) >= 2 {
		out := slices.Clone(x)
		for i := 2; i < len(out); i++ {
			out[i] = 1
		}
		s.set(n, out)
	}
}

// flatten sets the two dimensions before and from axis, which may be
// anything in [-rank, rank].
func (s *shapes) flatten(n *onnx.Node) {
	x, ok := s.in(n, 0)
	if !ok {
		return
	}
	axis := int(n.AttrInt("axis", 1))
	if axis < 0 {
		axis += len(x)
	}
	if axis >= 0 && axis <= len(x) {
		s.set(n, []int{prod(x[:axis]), prod(x[axis:])})
	}
}

// gemm sets the M×N of a Gemm of two matrices, transposed as asked.
func (s *shapes) gemm(n *onnx.Node) {
	a, okA := s.in(n, 0)
	b, okB := s.in(n, 1)
	if !okA || !okB || len(a) != 2 || len(b) != 2 {
		return
	}
	m, nn := a[0], b[1]
	if n.AttrInt("transA", 0) != 0 {
		m = a[1]
	}
	if n.AttrInt("transB", 0) != 0 {
		nn = b[0]
	}
	s.set(n, []int{m, nn})
}

// layout handles the operators that move elements around.
func (s *shapes) layout(n *onnx.Node) {
	x, ok := s.in(n, 0)
	if !ok {
		return
	}
	switch n.OpType {
	case "Reshape":
		if target, ok := s.constInts(n, 1); ok {
			s.set(n, reshape(x, target, n.AttrInt("allowzero", 0) != 0))
		}
	case "Transpose":
		s.set(n, transpose(x, n.AttrInts("perm", nil)))
	case "Concat":
		s.concat(n, x)
	case "Squeeze", "Unsqueeze":
		s.set(n, squeeze(x, s.intsOrInput(n, "axes"), n.OpType == "Unsqueeze"))
	case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2", "ReduceL1",
		"ReduceSumSquare", "ReduceLogSumExp":
		s.set(n, reduce(x, s.intsOrInput(n, "axes"), n.AttrInt("keepdims", 1) != 0))
	case "Pad":
		s.set(n, pad(x, s.intsOrInput(n, "pads")))
	case "Gather":
		idx, ok := s.in(n, 1)
		axis := normAxis(int(n.AttrInt("axis", 0)), len(x))
		if ok && axis >= 0 {
			out := append(append(slices.Clone(x[:axis]), idx...), x[axis+1:]...)
			s.set(n, out)
		}
	}
}

// intsOrInput returns n's constant input 1 when known (the newer opsets'
// form), else its attribute name.
func (s *shapes) intsOrInput(n *onnx.Node, name string) []int64 {
	if c, ok := s.constInts(n, 1); ok {
		return c
	}
	return n.AttrInts(name, nil)
}

// concat sets the shape of n's inputs, x the first, joined along axis.
func (s *shapes) concat(n *onnx.Node, x []int) {
	axis := normAxis(int(n.AttrInt("axis", 0)), len(x))
	if axis < 0 {
		return
	}
	out := slices.Clone(x)
	for i := 1; i < len(n.Inputs); i++ {
		y, ok := s.in(n, i)
		if !ok || len(y) != len(x) {
			return
		}
		out[axis] += y[axis]
	}
	s.set(n, out)
}
