// Package repository reads a model repository: a directory holding one
// directory per model, each with a config.yaml and one numbered directory
// per version containing model.onnx.
package repository
