package conformance

import "github.com/inferd/inferd/onnx"

// allTensors reports whether every value is a tensor.
func allTensors(vals []*onnx.Value) bool {
	for _, v := range vals {
		if v.Kind != onnx.KindTensor {
			return false
		}
	}
	return true
}
