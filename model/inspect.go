package model

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/inferd/inferd/onnx"
)

// Summary is what an ONNX model file declares, as `inferd model inspect`
// prints it and `inferd model add` writes it into config.yaml's comments.
type Summary struct {
	// Producer is the producer's name and version ("pytorch 2.3.0").
	Producer  string `json:"producer,omitempty"`
	IRVersion int64  `json:"ir_version"`
	// Opsets maps each imported operator set domain ("ai.onnx" for the
	// default one) to its version.
	Opsets  map[string]int64 `json:"opsets"`
	Inputs  []Value          `json:"inputs"`
	Outputs []Value          `json:"outputs"`
	// Operators counts the nodes of each operator type, subgraphs
	// included, most used first ("domain.Op" outside the default domain).
	Operators []OpCount `json:"operators"`
	// Engines says whether each engine can run the model; the caller
	// fills it in.
	Engines []EngineSupport `json:"engines,omitempty"`
}

// Value is one input or output of a model file.
type Value struct {
	Name string `json:"name"`
	// Type is the ONNX type as text: tensor(FP32)[N,3,224,224].
	Type string `json:"type"`
	// Tensor is set for tensors, the only values a config.yaml declares:
	// the datatype and the shape with -1 for every dimension that is not
	// fixed (no shape when the rank is unknown).
	Tensor *TensorSpec `json:"tensor,omitempty"`
}

// OpCount is how many nodes use one operator type.
type OpCount struct {
	Op    string `json:"op"`
	Count int    `json:"count"`
}

// EngineSupport says whether an engine can run a model, and if not why.
type EngineSupport struct {
	Engine    string `json:"engine"`
	Supported bool   `json:"supported"`
	Detail    string `json:"detail,omitempty"`
}

// Summarize describes a decoded ONNX model.
func Summarize(m *onnx.Model) *Summary {
	s := &Summary{
		Producer:  strings.TrimSpace(m.ProducerName + " " + m.ProducerVersion),
		IRVersion: m.IRVersion,
		Opsets:    map[string]int64{},
		Inputs:    values(m.Graph.Inputs),
		Outputs:   values(m.Graph.Outputs),
	}
	for d, v := range m.Opsets {
		s.Opsets[cmp.Or(d, "ai.onnx")] = v
	}
	counts := map[string]int{}
	countOps(m.Graph, counts)
	for _, op := range slices.Sorted(maps.Keys(counts)) {
		s.Operators = append(s.Operators, OpCount{Op: op, Count: counts[op]})
	}
	slices.SortStableFunc(s.Operators, func(a, b OpCount) int { return b.Count - a.Count })
	return s
}

// TensorInputs returns the inputs that are tensors, as config.yaml
// declares them.
func (s *Summary) TensorInputs() []TensorSpec { return tensorSpecs(s.Inputs) }

// TensorOutputs returns the outputs that are tensors.
func (s *Summary) TensorOutputs() []TensorSpec { return tensorSpecs(s.Outputs) }

func tensorSpecs(vals []Value) []TensorSpec {
	var specs []TensorSpec
	for _, v := range vals {
		if v.Tensor != nil {
			specs = append(specs, *v.Tensor)
		}
	}
	return specs
}

func values(infos []onnx.ValueInfo) []Value {
	vals := make([]Value, len(infos))
	for i, vi := range infos {
		vals[i] = Value{Name: vi.Name, Type: vi.Type.String()}
		if vi.Type.Kind == onnx.KindTensor {
			vals[i].Tensor = &TensorSpec{Name: vi.Name, DataType: vi.Type.DType, Shape: vi.Type.IntShape()}
		}
	}
	return vals
}

// countOps counts the operator types of g's nodes and of their subgraphs.
func countOps(g *onnx.Graph, counts map[string]int) {
	for _, n := range g.Nodes {
		op := n.OpType
		if d := n.Domain; d != "" && d != "ai.onnx" {
			op = d + "." + op
		}
		counts[op]++
		for _, a := range n.Attrs {
			if a.Graph != nil {
				countOps(a.Graph, counts)
			}
			for _, sg := range a.Graphs {
				countOps(sg, counts)
			}
		}
	}
}

// OpsetText renders the imported operator sets as "ai.onnx 17, ai.onnx.ml 3".
func (s *Summary) OpsetText() string {
	parts := make([]string, 0, len(s.Opsets))
	for _, d := range slices.Sorted(maps.Keys(s.Opsets)) {
		parts = append(parts, fmt.Sprintf("%s %d", d, s.Opsets[d]))
	}
	return strings.Join(parts, ", ")
}
