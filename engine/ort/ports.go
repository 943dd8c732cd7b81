//go:build ort

package ort

import (
	"fmt"
	"slices"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// port is one model input or output: what Inputs and Outputs report, and
// the ONNX type it has in the graph.
type port struct {
	info engine.TensorInfo
	// typ is the declared ONNX type. Its Kind is KindTensor for tensors
	// (and for values whose type the graph leaves open).
	typ onnx.Type
}

// isTensor reports whether values of the port are plain tensors.
func (p port) isTensor() bool { return p.typ.Kind == onnx.KindTensor }

// portsFromGraph describes a decoded model's inputs and outputs: tensors as
// declared, other values as the tensor that Run flattens them to (see the
// package documentation).
func portsFromGraph(g *onnx.Graph) (ins, outs []port) {
	producer := map[string]*onnx.Node{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			producer[o] = n
		}
	}
	for _, vi := range g.Inputs {
		ins = append(ins, newPort(vi, nil))
	}
	for _, vi := range g.Outputs {
		outs = append(outs, newPort(vi, producer[vi.Name]))
	}
	return ins, outs
}

func newPort(vi onnx.ValueInfo, producer *onnx.Node) port {
	t := vi.Type
	if t.Kind == onnx.KindUnknown {
		t.Kind = onnx.KindTensor
	}
	p := port{typ: t, info: engine.TensorInfo{Name: vi.Name, DType: t.DType, Shape: t.IntShape()}}
	switch t.Kind {
	case onnx.KindSequence:
		p.info.DType, p.info.Shape = tensor.Invalid, nil
		if e := t.Elem; e != nil {
			switch e.Kind {
			case onnx.KindMap:
				p.info.DType, p.info.Shape = mapValueDType(e), []int{-1, mapSize(producer)}
			case onnx.KindTensor:
				p.info.DType = e.DType
				if s := e.IntShape(); s != nil {
					p.info.Shape = append([]int{-1}, s...)
				}
			}
		}
	case onnx.KindMap:
		p.info.DType, p.info.Shape = mapValueDType(&t), []int{mapSize(producer)}
	case onnx.KindOptional:
		p.info.DType, p.info.Shape = tensor.Invalid, nil
		if e := t.Elem; e != nil && e.Kind == onnx.KindTensor {
			p.info.DType, p.info.Shape = e.DType, e.IntShape()
		}
	}
	return p
}

// mapValueDType is the element type of a map's values, when they are
// tensors.
func mapValueDType(m *onnx.Type) tensor.DType {
	if m.Elem != nil && m.Elem.Kind == onnx.KindTensor {
		return m.Elem.DType
	}
	return tensor.Invalid
}

// mapSize is the number of keys of the maps a ZipMap node makes (its class
// labels), or -1 when the producer is something else.
func mapSize(producer *onnx.Node) int {
	if producer == nil || producer.OpType != "ZipMap" {
		return -1
	}
	if ls := producer.AttrInts("classlabels_int64s", nil); ls != nil {
		return len(ls)
	}
	if ls := producer.AttrStrings("classlabels_strings", nil); ls != nil {
		return len(ls)
	}
	return -1
}

// portsFromSession describes inputs and outputs from ONNX Runtime's own
// metadata, for models the onnx package cannot decode. ONNX Runtime reports
// no element type for values that are not tensors, and no rank for tensors
// without a declared shape: those dimensions are reported as unknown.
func portsFromSession(data []byte) (ins, outs []port, err error) {
	oi, oo, err := ortgo.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return nil, nil, err
	}
	conv := func(list []ortgo.InputOutputInfo) ([]port, error) {
		ps := make([]port, len(list))
		for i, x := range list {
			p := port{info: engine.TensorInfo{Name: x.Name}}
			switch x.OrtValueType {
			case ortgo.ONNXTypeTensor:
				dt, ok := fromElementType(x.DataType)
				if !ok {
					return nil, fmt.Errorf("%q has element type %v, which inferd tensors cannot hold", x.Name, x.DataType)
				}
				p.typ = onnx.Type{Kind: onnx.KindTensor, DType: dt}
				p.info.DType = dt
				if len(x.Dimensions) > 0 {
					p.info.Shape = make([]int, len(x.Dimensions))
					for j, d := range x.Dimensions {
						p.info.Shape[j] = int(max(d, -1))
					}
				}
			case ortgo.ONNXTypeSequence:
				p.typ = onnx.Type{Kind: onnx.KindSequence}
			case ortgo.ONNXTypeMap:
				p.typ = onnx.Type{Kind: onnx.KindMap}
			case ortgo.ONNXTypeOptional:
				p.typ = onnx.Type{Kind: onnx.KindOptional}
			default:
				return nil, fmt.Errorf("%q is a %v, which inferd cannot pass", x.Name, x.OrtValueType)
			}
			ps[i] = p
		}
		return ps, nil
	}
	if ins, err = conv(oi); err != nil {
		return nil, nil, fmt.Errorf("input %w", err)
	}
	if outs, err = conv(oo); err != nil {
		return nil, nil, fmt.Errorf("output %w", err)
	}
	return ins, outs, nil
}

// infos returns the TensorInfos of ports.
func infos(ps []port) []engine.TensorInfo {
	out := make([]engine.TensorInfo, len(ps))
	for i, p := range ps {
		out[i] = p.info
		// A rank-0 shape stays empty, not nil (which means unknown).
		out[i].Shape = slices.Clone(p.info.Shape)
	}
	return out
}

// names returns the names of ports.
func names(ps []port) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.info.Name
	}
	return out
}
