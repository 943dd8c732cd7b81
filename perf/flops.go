package perf

import (
	"fmt"

	"github.com/inferd/inferd/onnx"
)

// FLOPs counts the floating-point operations of one run of m with the given
// input shapes, from its matrix operators only: Conv, ConvTranspose, Gemm
// and MatMul, each multiply-add counted as two operations (element-wise
// operators, pooling and normalization are left out; they are a few
// percent of a convolutional network). ok is false, with the reason, when
// the shape of one such operator's operands cannot be worked out from the
// graph, or the graph has none of them.
func FLOPs(m *onnx.Model, inputs map[string][]int) (flops float64, ok bool, reason string) {
	s := inferShapes(m, inputs)
	counted := 0
	for _, n := range m.Graph.Nodes {
		if n.Domain != "" && n.Domain != "ai.onnx" {
			continue
		}
		var f float64
		var known bool
		switch n.OpType {
		case "Conv":
			f, known = s.convFLOPs(n, false)
		case "ConvTranspose":
			f, known = s.convFLOPs(n, true)
		case "Gemm", "MatMul":
			f, known = s.matmulFLOPs(n)
		default:
			continue
		}
		if !known {
			return 0, false, fmt.Sprintf("the operand shapes of node %s are not known from the graph", n.Label())
		}
		flops += f
		counted++
	}
	if counted == 0 {
		return 0, false, "the model has no Conv, ConvTranspose, Gemm or MatMul"
	}
	return flops, true, ""
}

// convFLOPs is 2·(MACs): for Conv, every output element takes C/group ·
// kernel multiply-adds; for ConvTranspose every input element scatters into
// M/group · kernel outputs.
func (s *shapes) convFLOPs(n *onnx.Node, transpose bool) (float64, bool) {
	x, okX := s.in(n, 0)
	w, okW := s.in(n, 1)
	var y []int
	okY := len(n.Outputs) > 0
	if okY {
		y, okY = s.shape[n.Outputs[0]]
	}
	if !okX || !okW || !okY || len(w) < 3 {
		return 0, false
	}
	kernel := float64(prod(w[2:]))
	if transpose {
		// w is [C, M/group, k...]: each input element feeds M/group·k outputs.
		return 2 * float64(prod(x)) * float64(w[1]) * kernel, true
	}
	// w is [M, C/group, k...]: each output element sums C/group·k products.
	return 2 * float64(prod(y)) * float64(w[1]) * kernel, true
}

// matmulFLOPs is 2·M·N·K per matrix product, times the broadcast batch.
func (s *shapes) matmulFLOPs(n *onnx.Node) (float64, bool) {
	a, okA := s.in(n, 0)
	var y []int
	okY := len(n.Outputs) > 0
	if okY {
		y, okY = s.shape[n.Outputs[0]]
	}
	if !okA || !okY || len(a) == 0 {
		return 0, false
	}
	k := a[len(a)-1]
	if n.OpType == "Gemm" && n.AttrInt("transA", 0) != 0 {
		k = a[0]
	}
	return 2 * float64(prod(y)) * float64(k), true
}
