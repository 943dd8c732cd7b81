package onnx

import (
	"fmt"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
)

var attrTypes = map[onnxpb.AttributeProto_AttributeType]AttrType{
	onnxpb.AttributeProto_FLOAT:          AttrFloat,
	onnxpb.AttributeProto_INT:            AttrInt,
	onnxpb.AttributeProto_STRING:         AttrString,
	onnxpb.AttributeProto_TENSOR:         AttrTensor,
	onnxpb.AttributeProto_GRAPH:          AttrGraph,
	onnxpb.AttributeProto_FLOATS:         AttrFloats,
	onnxpb.AttributeProto_INTS:           AttrInts,
	onnxpb.AttributeProto_STRINGS:        AttrStrings,
	onnxpb.AttributeProto_TENSORS:        AttrTensors,
	onnxpb.AttributeProto_GRAPHS:         AttrGraphs,
	onnxpb.AttributeProto_SPARSE_TENSOR:  AttrSparseTensor,
	onnxpb.AttributeProto_SPARSE_TENSORS: AttrSparseTensors,
	onnxpb.AttributeProto_TYPE_PROTO:     AttrTypeProto,
	onnxpb.AttributeProto_TYPE_PROTOS:    AttrTypeProtos,
}

// inferAttrType guesses the type of an attribute whose type field is
// UNDEFINED (files older than IR version 2 omit it) from the field it sets.
func inferAttrType(ap *onnxpb.AttributeProto) AttrType {
	switch {
	case ap.F != nil:
		return AttrFloat
	case ap.I != nil:
		return AttrInt
	case ap.S != nil:
		return AttrString
	case ap.T != nil:
		return AttrTensor
	case ap.G != nil:
		return AttrGraph
	case ap.SparseTensor != nil:
		return AttrSparseTensor
	case ap.Tp != nil:
		return AttrTypeProto
	case len(ap.Floats) > 0:
		return AttrFloats
	case len(ap.Ints) > 0:
		return AttrInts
	case len(ap.Strings) > 0:
		return AttrStrings
	case len(ap.Tensors) > 0:
		return AttrTensors
	case len(ap.Graphs) > 0:
		return AttrGraphs
	case len(ap.SparseTensors) > 0:
		return AttrSparseTensors
	case len(ap.TypeProtos) > 0:
		return AttrTypeProtos
	}
	return AttrUndefined
}

// attr converts an AttributeProto. Subgraphs are decoded recursively at
// depth+1. Sparse tensor values are densified into Tensor and Tensors (the
// Type stays AttrSparseTensor or AttrSparseTensors). An attribute that only
// refers to a function's attribute (RefAttrName) may carry no value.
func (d *decoder) attr(ap *onnxpb.AttributeProto, depth int) (*Attribute, error) {
	a := &Attribute{Name: ap.GetName(), RefAttrName: ap.GetRefAttrName()}
	if ap.GetType() == onnxpb.AttributeProto_UNDEFINED {
		a.Type = inferAttrType(ap)
	} else if t, ok := attrTypes[ap.GetType()]; ok {
		a.Type = t
	} else {
		return nil, fmt.Errorf("unknown attribute type %d", ap.GetType())
	}
	var err error
	switch a.Type {
	case AttrUndefined:
		if a.RefAttrName == "" {
			return nil, fmt.Errorf("attribute has no type and no value")
		}
	case AttrTensor, AttrSparseTensor, AttrTensors, AttrSparseTensors:
		err = d.tensorAttr(a, ap)
	case AttrGraph, AttrGraphs:
		err = d.graphAttr(a, ap, depth)
	case AttrTypeProto, AttrTypeProtos:
		err = typeAttr(a, ap)
	default:
		plainAttr(a, ap)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// plainAttr sets the value of a number or string attribute, or of a list
// of them.
func plainAttr(a *Attribute, ap *onnxpb.AttributeProto) {
	switch a.Type {
	case AttrFloat:
		a.Float = ap.GetF()
	case AttrInt:
		a.Int = ap.GetI()
	case AttrString:
		a.String = string(ap.GetS())
	case AttrFloats:
		a.Floats = ap.GetFloats()
	case AttrInts:
		a.Ints = ap.GetInts()
	case AttrStrings:
		a.Strings = make([]string, len(ap.GetStrings()))
		for i, s := range ap.GetStrings() {
			a.Strings[i] = string(s)
		}
	}
}

// missingValue is the error of an attribute of type what that has no
// value, unless it refers to a function's attribute.
func missingValue(a *Attribute, what string) error {
	if a.RefAttrName == "" {
		return fmt.Errorf("missing %s", what)
	}
	return nil
}

// tensorAttr decodes the value of a tensor or sparse tensor attribute, or
// of a list of them.
func (d *decoder) tensorAttr(a *Attribute, ap *onnxpb.AttributeProto) error {
	var err error
	switch a.Type {
	case AttrTensor:
		if ap.GetT() == nil {
			return missingValue(a, "tensor")
		}
		a.Tensor, err = d.tensor(ap.GetT())
	case AttrSparseTensor:
		if ap.GetSparseTensor() == nil {
			return missingValue(a, "sparse tensor")
		}
		a.Tensor, err = d.sparse(ap.GetSparseTensor())
	case AttrTensors:
		a.Tensors = make([]*tensor.Tensor, len(ap.GetTensors()))
		for i, tp := range ap.GetTensors() {
			if a.Tensors[i], err = d.tensor(tp); err != nil {
				return err
			}
		}
	case AttrSparseTensors:
		a.Tensors = make([]*tensor.Tensor, len(ap.GetSparseTensors()))
		for i, sp := range ap.GetSparseTensors() {
			if a.Tensors[i], err = d.sparse(sp); err != nil {
				return err
			}
		}
	}
	return err
}

// graphAttr decodes the value of a graph attribute, or of a list of them,
// at depth+1.
func (d *decoder) graphAttr(a *Attribute, ap *onnxpb.AttributeProto, depth int) error {
	var err error
	if a.Type == AttrGraph {
		if ap.GetG() == nil {
			return missingValue(a, "graph")
		}
		a.Graph, err = d.graph(ap.GetG(), depth+1)
		return err
	}
	a.Graphs = make([]*Graph, len(ap.GetGraphs()))
	for i, gp := range ap.GetGraphs() {
		if a.Graphs[i], err = d.graph(gp, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// typeAttr decodes the value of a type attribute, or of a list of them.
func typeAttr(a *Attribute, ap *onnxpb.AttributeProto) error {
	var err error
	if a.Type == AttrTypeProto {
		if ap.GetTp() == nil {
			return missingValue(a, "type")
		}
		var t Type
		t, err = typ(ap.GetTp(), 0)
		a.TypeProto = &t
		return err
	}
	a.TypeProtos = make([]Type, len(ap.GetTypeProtos()))
	for i, tp := range ap.GetTypeProtos() {
		if a.TypeProtos[i], err = typ(tp, 0); err != nil {
			return err
		}
	}
	return nil
}
