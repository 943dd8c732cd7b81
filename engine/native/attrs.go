package native

import (
	"github.com/inferd/inferd/onnx"
)

// Attribute accessors that validate the attribute's type at load, so that a
// malformed model fails with an error naming the node and attribute.

func (b *buildCtx) attr(name string, want onnx.AttrType) (*onnx.Attribute, error) {
	a, ok := b.node.Attrs[name]
	if !ok {
		return nil, nil
	}
	if a.Type != want {
		return nil, b.errorf("attribute %s has type %s, want %s", name, attrTypeName(a.Type), attrTypeName(want))
	}
	return a, nil
}

func (b *buildCtx) intAttr(name string, def int64) (int64, error) {
	a, err := b.attr(name, onnx.AttrInt)
	if a == nil || err != nil {
		return def, err
	}
	return a.Int, nil
}

func (b *buildCtx) floatAttr(name string, def float32) (float32, error) {
	a, err := b.attr(name, onnx.AttrFloat)
	if a == nil || err != nil {
		return def, err
	}
	return a.Float, nil
}

func (b *buildCtx) stringAttr(name, def string) (string, error) {
	a, err := b.attr(name, onnx.AttrString)
	if a == nil || err != nil {
		return def, err
	}
	return a.String, nil
}

// intsAttr returns the ints attribute name, or nil when absent.
func (b *buildCtx) intsAttr(name string) ([]int64, error) {
	a, err := b.attr(name, onnx.AttrInts)
	if a == nil || err != nil {
		return nil, err
	}
	return a.Ints, nil
}

// boolAttr reads an int attribute that must be 0 or 1.
func (b *buildCtx) boolAttr(name string, def bool) (bool, error) {
	d := int64(0)
	if def {
		d = 1
	}
	v, err := b.intAttr(name, d)
	if err != nil {
		return false, err
	}
	if v != 0 && v != 1 {
		return false, b.errorf("attribute %s is %d, want 0 or 1", name, v)
	}
	return v == 1, nil
}

// rejectAttr fails when the node has attribute name, which this
// implementation does not support (its presence would change results).
func (b *buildCtx) rejectAttr(name string, why string) error {
	if b.node.Has(name) {
		return b.errorf("attribute %s is not supported: %s", name, why)
	}
	return nil
}

func attrTypeName(t onnx.AttrType) string {
	names := map[onnx.AttrType]string{
		onnx.AttrFloat: "FLOAT", onnx.AttrInt: "INT", onnx.AttrString: "STRING",
		onnx.AttrTensor: "TENSOR", onnx.AttrGraph: "GRAPH", onnx.AttrFloats: "FLOATS",
		onnx.AttrInts: "INTS", onnx.AttrStrings: "STRINGS", onnx.AttrTensors: "TENSORS",
		onnx.AttrGraphs: "GRAPHS", onnx.AttrSparseTensor: "SPARSE_TENSOR",
		onnx.AttrSparseTensors: "SPARSE_TENSORS", onnx.AttrTypeProto: "TYPE_PROTO",
		onnx.AttrTypeProtos: "TYPE_PROTOS",
	}
	if n, ok := names[t]; ok {
		return n
	}
	return "UNDEFINED"
}

// normAxis resolves a possibly negative axis against rank.
func normAxis(axis int64, rank int) (int, bool) {
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || axis >= int64(rank) {
		return 0, false
	}
	return int(axis), true
}

// toInts converts int64 attribute values to ints.
func toInts(v []int64) []int {
	s := make([]int, len(v))
	for i, x := range v {
		s[i] = int(x)
	}
	return s
}

// Attribute type aliases for the accessors of other files.
const (
	onnxAttrFloats  = onnx.AttrFloats
	onnxAttrStrings = onnx.AttrStrings
	onnxAttrTensor  = onnx.AttrTensor
)
