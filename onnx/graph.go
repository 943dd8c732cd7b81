package onnx

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// Model is a decoded ONNX model.
type Model struct {
	IRVersion       int64
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	// Opsets maps an operator set domain ("" for the default ai.onnx domain,
	// "ai.onnx.ml", ...) to the imported version.
	Opsets   map[string]int64
	Metadata map[string]string
	Graph    *Graph
}

// Opset returns the imported version of domain, treating "ai.onnx" and ""
// as the same domain; 0 if the model does not import it.
func (m *Model) Opset(domain string) int64 {
	if domain == "ai.onnx" {
		domain = ""
	}
	return m.Opsets[domain]
}

// Graph is a computation graph: nodes in the order the file lists them
// (which ONNX requires to be topological), the graph's inputs and outputs,
// and its constant initializers.
type Graph struct {
	Name  string
	Nodes []*Node
	// Inputs are the graph inputs that are not initializers: what a caller
	// must feed.
	Inputs  []ValueInfo
	Outputs []ValueInfo
	// ValueInfo holds optional type information for intermediate values.
	ValueInfo []ValueInfo
	// Initializers are constant tensors by name. An initializer that is also
	// listed as a graph input is a default the caller may override; such
	// names are in OverridableInputs, not in Inputs.
	Initializers      map[string]*tensor.Tensor
	OverridableInputs []ValueInfo
	// SparseInitializers are decoded into dense tensors in Initializers.
}

// ValueInfo names a value and its type.
type ValueInfo struct {
	Name string
	Type Type
	Doc  string
}

// TypeKind distinguishes ONNX's value types.
type TypeKind uint8

// The kinds of ONNX types.
const (
	KindUnknown TypeKind = iota
	KindTensor
	KindSequence
	KindMap
	KindOptional
	KindSparseTensor
)

var kindNames = [...]string{
	KindUnknown:      "unknown",
	KindTensor:       "tensor",
	KindSequence:     "sequence",
	KindMap:          "map",
	KindOptional:     "optional",
	KindSparseTensor: "sparse tensor",
}

// String names the kind for messages: "tensor", "sequence", "map",
// "optional", "sparse tensor", or "unknown" for KindUnknown.
func (k TypeKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("TypeKind(%d)", uint8(k))
}

// Type is an ONNX value type. For tensors, DType and Shape are set (Shape is
// nil when the rank is unknown). For sequences and optionals Elem is the
// element type; for maps KeyType and Elem (the value type) are set.
type Type struct {
	Kind    TypeKind
	DType   tensor.DType
	Shape   []Dim
	HasRank bool
	KeyType tensor.DType
	Elem    *Type
}

// Dim is one dimension of a declared shape: a fixed Value (>= 0), or a
// symbolic Param, or neither (unknown). Value is -1 when not fixed.
type Dim struct {
	Value int64
	Param string
}

// IntShape returns the declared shape with -1 for every dimension that is not
// fixed, or nil when the rank is unknown.
func (t Type) IntShape() []int {
	if !t.HasRank {
		return nil
	}
	s := make([]int, len(t.Shape))
	for i, d := range t.Shape {
		s[i] = int(d.Value)
	}
	return s
}

// String renders the type like tensor(FP32)[N,3,224,224].
func (t Type) String() string {
	switch t.Kind {
	case KindTensor, KindSparseTensor:
		s := fmt.Sprintf("tensor(%v)", t.DType)
		if t.HasRank {
			s += "["
			for i, d := range t.Shape {
				if i > 0 {
					s += ","
				}
				switch {
				case d.Value >= 0:
					s += fmt.Sprint(d.Value)
				case d.Param != "":
					s += d.Param
				default:
					s += "?"
				}
			}
			s += "]"
		}
		return s
	case KindSequence:
		return fmt.Sprintf("seq(%v)", t.Elem)
	case KindMap:
		return fmt.Sprintf("map(%v,%v)", t.KeyType, t.Elem)
	case KindOptional:
		return fmt.Sprintf("optional(%v)", t.Elem)
	}
	return "unknown"
}

// Node is one operator application.
type Node struct {
	Name   string
	OpType string
	// Domain is the operator set domain; "" (or "ai.onnx") is the default.
	Domain string
	// Inputs and Outputs name values; an empty name is an omitted optional
	// input or output.
	Inputs  []string
	Outputs []string
	Attrs   map[string]*Attribute
	Doc     string
}

// AttrType is the type of an attribute's value.
type AttrType uint8

// The attribute types of ONNX.
const (
	AttrUndefined AttrType = iota
	AttrFloat
	AttrInt
	AttrString
	AttrTensor
	AttrGraph
	AttrFloats
	AttrInts
	AttrStrings
	AttrTensors
	AttrGraphs
	AttrSparseTensor
	AttrSparseTensors
	AttrTypeProto
	AttrTypeProtos
)

// Attribute is a node attribute. Only the field for its Type is meaningful.
type Attribute struct {
	Name    string
	Type    AttrType
	Float   float32
	Int     int64
	String  string
	Tensor  *tensor.Tensor
	Graph   *Graph
	Floats  []float32
	Ints    []int64
	Strings []string
	Tensors []*tensor.Tensor
	Graphs  []*Graph
	// TypeProto and TypeProtos hold TYPE_PROTO and TYPE_PROTOS values (the
	// Optional operator's type attribute, for example).
	TypeProto  *Type
	TypeProtos []Type
	// RefAttrName is set for attributes of functions that refer to the
	// caller's attribute.
	RefAttrName string
}

// Label names the node for error messages: its name if set, else its op
// type and first output.
func (n *Node) Label() string {
	if n.Name != "" {
		return fmt.Sprintf("%s (%s)", n.Name, n.OpType)
	}
	out := ""
	if len(n.Outputs) > 0 {
		out = n.Outputs[0]
	}
	return fmt.Sprintf("%s -> %s", n.OpType, out)
}

// Has reports whether the node has attribute name.
func (n *Node) Has(name string) bool { _, ok := n.Attrs[name]; return ok }

// AttrInt returns the int attribute name or def when absent.
func (n *Node) AttrInt(name string, def int64) int64 {
	if a, ok := n.Attrs[name]; ok && a.Type == AttrInt {
		return a.Int
	}
	return def
}

// AttrFloat returns the float attribute name or def when absent.
func (n *Node) AttrFloat(name string, def float32) float32 {
	if a, ok := n.Attrs[name]; ok && a.Type == AttrFloat {
		return a.Float
	}
	return def
}

// AttrString returns the string attribute name or def when absent.
func (n *Node) AttrString(name, def string) string {
	if a, ok := n.Attrs[name]; ok && a.Type == AttrString {
		return a.String
	}
	return def
}

// AttrInts returns the ints attribute name or def when absent.
func (n *Node) AttrInts(name string, def []int64) []int64 {
	if a, ok := n.Attrs[name]; ok && a.Type == AttrInts {
		return a.Ints
	}
	return def
}

// AttrFloats returns the floats attribute name or def when absent.
func (n *Node) AttrFloats(name string, def []float32) []float32 {
	if a, ok := n.Attrs[name]; ok && a.Type == AttrFloats {
		return a.Floats
	}
	return def
}

// AttrStrings returns the strings attribute name or def when absent.
func (n *Node) AttrStrings(name string, def []string) []string {
	if a, ok := n.Attrs[name]; ok && a.Type == AttrStrings {
		return a.Strings
	}
	return def
}

// AttrTensor returns the tensor attribute name, or nil when absent.
func (n *Node) AttrTensor(name string) *tensor.Tensor {
	if a, ok := n.Attrs[name]; ok && a.Type == AttrTensor {
		return a.Tensor
	}
	return nil
}
