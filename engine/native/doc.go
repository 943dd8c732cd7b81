// Package native is inferd's default engine: an ONNX interpreter written in
// Go, with no cgo.
//
// Loading a model builds a plan: the graph's nodes in topological order,
// each bound to a kernel from the operator registry (one file per operator
// family registers its operators by domain and type), nodes whose inputs are
// all constant evaluated once at load, and each intermediate value's last use
// so that its buffer can be recycled for later values. Every node is checked
// against the registry at load, and a model with operators the engine does
// not implement fails with one error that lists all of them.
//
// Running a plan walks the nodes in order, checking the context between
// nodes. Intermediate buffers come from a per-run arena that recycles them
// after their last use and is itself pooled across runs. The float32 matrix
// multiply behind Conv, Gemm and MatMul lives in sgemm*.go behind a small
// internal signature (cache-blocked, packed panels, register-tiled
// micro-kernel, parallel over blocks of the output), so that a SIMD kernel
// can replace it without touching the operators.
package native
