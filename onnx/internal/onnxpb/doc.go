// Package onnxpb holds the Go code generated from the ONNX protobuf
// definitions (onnx-ml.proto and onnx-data.proto of ONNX 1.12, Apache-2.0).
// Regenerate it with scripts/gen-onnx-proto.sh; do not edit the .pb.go files.
package onnxpb
