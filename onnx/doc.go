// Package onnx decodes .onnx files (ONNX protobuf) into a plain, validated
// description of the model: its opset imports, graph, nodes, attributes and
// initializer tensors. It knows nothing of how operators execute.
package onnx
