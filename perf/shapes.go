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

func (s *shapes) node(n *onnx.Node) {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return
	}
	switch op := n.OpType; {
	case op == "Constant":
		if t := n.AttrTensor("value"); t != nil {
			s.set(n, slices.Clone(t.Shape()))
			s.setInts(n.Outputs[0], t)
		} else if v := n.AttrInts("value_ints", nil); v != nil {
			s.set(n, []int{len(v)})
			s.ints[n.Outputs[0]] = v
		}
	case sameShapeOps[op]:
		if x, ok := s.in(n, 0); ok {
			s.set(n, slices.Clone(x))
		}
	case broadcastOps[op]:
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
	case op == "Conv", op == "ConvTranspose", op == "MaxPool", op == "AveragePool", op == "LpPool":
		s.set(n, s.window(n))
	case op == "GlobalAveragePool", op == "GlobalMaxPool", op == "GlobalLpPool":
		if x, ok := s.in(n, 0); ok && len(x) >= 2 {
			out := slices.Clone(x)
			for i := 2; i < len(out); i++ {
				out[i] = 1
			}
			s.set(n, out)
		}
	case op == "Flatten":
		if x, ok := s.in(n, 0); ok {
			axis := normAxis(int(n.AttrInt("axis", 1)), len(x)+1)
			if axis >= 0 {
				s.set(n, []int{prod(x[:axis]), prod(x[axis:])})
			}
		}
	case op == "Gemm":
		a, okA := s.in(n, 0)
		b, okB := s.in(n, 1)
		if okA && okB && len(a) == 2 && len(b) == 2 {
			m, nn := a[0], b[1]
			if n.AttrInt("transA", 0) != 0 {
				m = a[1]
			}
			if n.AttrInt("transB", 0) != 0 {
				nn = b[0]
			}
			s.set(n, []int{m, nn})
		}
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
		perm := n.AttrInts("perm", nil)
		out := make([]int, len(x))
		for i := range out {
			p := len(x) - 1 - i
			if perm != nil {
				if len(perm) != len(x) || perm[i] < 0 || int(perm[i]) >= len(x) {
					return
				}
				p = int(perm[i])
			}
			out[i] = x[p]
		}
		s.set(n, out)
	case "Concat":
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
	case "Squeeze", "Unsqueeze":
		axes := n.AttrInts("axes", nil)
		if c, ok := s.constInts(n, 1); ok {
			axes = c
		}
		s.set(n, squeeze(x, axes, n.OpType == "Unsqueeze"))
	case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2", "ReduceL1",
		"ReduceSumSquare", "ReduceLogSumExp":
		axes := n.AttrInts("axes", nil)
		if c, ok := s.constInts(n, 1); ok {
			axes = c
		}
		s.set(n, reduce(x, axes, n.AttrInt("keepdims", 1) != 0))
	case "Pad":
		pads := n.AttrInts("pads", nil)
		if c, ok := s.constInts(n, 1); ok {
			pads = c
		}
		if len(pads) == 2*len(x) {
			out := slices.Clone(x)
			for i := range out {
				out[i] += int(pads[i] + pads[i+len(x)])
			}
			s.set(n, out)
		}
	case "Gather":
		idx, ok := s.in(n, 1)
		axis := normAxis(int(n.AttrInt("axis", 0)), len(x))
		if ok && axis >= 0 {
			out := append(append(slices.Clone(x[:axis]), idx...), x[axis+1:]...)
			s.set(n, out)
		}
	}
}
