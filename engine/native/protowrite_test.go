package native

import (
	"google.golang.org/protobuf/encoding/protowire"
)

// This file writes small ONNX files by hand (the generated protobuf types
// are internal to package onnx), so that tests load real files: models
// with external data, and models built to exhaust memory.

// pb is a protobuf message being written.
type pb []byte

func (m pb) bytes(num protowire.Number, b []byte) pb {
	m = protowire.AppendTag(m, num, protowire.BytesType)
	return protowire.AppendBytes(m, b)
}

func (m pb) str(num protowire.Number, s string) pb { return m.bytes(num, []byte(s)) }

func (m pb) int(num protowire.Number, v int64) pb {
	m = protowire.AppendTag(m, num, protowire.VarintType)
	return protowire.AppendVarint(m, uint64(v))
}

// ONNX data types of TensorProto.DataType.
const (
	pbFloat  = 1
	pbInt64  = 7
	pbDouble = 11
)

// pbTensor is a TensorProto: raw little-endian data, or external data
// given as key, value pairs when ext is not empty.
func pbTensor(name string, dtype int64, dims []int64, raw []byte, ext ...string) pb {
	var t pb
	for _, d := range dims {
		t = t.int(1, d)
	}
	t = t.int(2, dtype).str(8, name)
	if len(ext) > 0 {
		for i := 0; i+1 < len(ext); i += 2 {
			t = t.bytes(13, pb(nil).str(1, ext[i]).str(2, ext[i+1]))
		}
		return t.int(14, 1)
	}
	return t.bytes(9, raw)
}

// pbValue is a ValueInfoProto of a tensor; dims < 0 are symbolic.
func pbValue(name string, dtype int64, dims ...int64) pb {
	var shape pb
	for _, d := range dims {
		if d < 0 {
			shape = shape.bytes(1, pb(nil).str(2, "d"))
		} else {
			shape = shape.bytes(1, pb(nil).int(1, d))
		}
	}
	tt := pb(nil).int(1, dtype).bytes(2, shape)
	return pb(nil).str(1, name).bytes(2, pb(nil).bytes(1, tt))
}

// pbNode is a NodeProto with tensor attributes given by name.
func pbNode(op string, ins, outs []string, tensorAttrs map[string]pb) pb {
	var n pb
	for _, in := range ins {
		n = n.str(1, in)
	}
	for _, o := range outs {
		n = n.str(2, o)
	}
	n = n.str(3, op+"_0").str(4, op)
	for name, t := range tensorAttrs {
		n = n.bytes(5, pb(nil).str(1, name).bytes(5, t).int(20, 4))
	}
	return n
}

// pbModel is a ModelProto at opset 17 of one graph.
func pbModel(nodes, inits, inputs, outputs []pb) []byte {
	g := pb(nil).str(2, "g")
	for _, n := range nodes {
		g = g.bytes(1, n)
	}
	for _, t := range inits {
		g = g.bytes(5, t)
	}
	for _, v := range inputs {
		g = g.bytes(11, v)
	}
	for _, v := range outputs {
		g = g.bytes(12, v)
	}
	m := pb(nil).int(1, 8).bytes(8, pb(nil).str(1, "").int(2, 17)).bytes(7, g)
	return m
}
