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
// After building, the plan is rewritten (fuse.go): Conv+BatchNormalization
// folding, the residual Add fused into the Conv producing it, groups of
// elementwise steps compiled into one pass (fuse_ew.go, ew.go: a small
// float32 program interpreted over blocks, whatever the exporter wrote:
// decomposed hardswish, SiLU, GELU and LayerNorm's tail are such groups),
// and activations, single or grouped, fused into the Conv or Gemm
// producing their input; last, a 1×1 Conv into the depthwise 3×3 Conv
// that reads it, run in bands of rows when the expanded tensor outgrows
// the L2 cache (conv_expand.go, MobileNetV2's inverted residuals).
//
// Running a plan walks the nodes in order, checking the context between
// nodes. Intermediate buffers come from a per-run arena that recycles them
// after their last use and is kept by the session across runs, with the
// tensors made over them and the run's value slots; kernels cache what they
// derive from their input shapes, and parallel regions recycle their state
// (freelist.go), so that a steady-state Run of the common models allocates
// only its outputs and the map returning them. The hot
// kernels are SIMD assembly generated with avo (internal/simd, chosen at run
// time from the CPU's features, with portable Go equivalents): the float32
// matrix multiply behind Conv, Gemm and MatMul (sgemm*.go: cache-blocked,
// packed panels, a register-tiled micro-kernel with a fused epilogue),
// convolution by implicit GEMM (its B read in place, in segments, or
// gathered from the valid outputs: conv_gather.go), pointwise GEMM or
// packed im2col chosen per layer (conv_*.go), depthwise convolution and max pooling with tap
// kernels, ConvTranspose as GEMM and col2im, recurrent operators with the
// input projection of all time steps as one GEMM (rnn_fast.go), Resize of
// images from cached taps (resize_fast.go). Kernels split their work over a process-wide set of helper
// goroutines (parallel.go), at most the session's thread count at a time.
// A graph that load-time analysis proves batch-separable (every node keeps
// the batch's rows apart, wherever a layout moves them, with the batch size
// followed through shape arithmetic into Reshape targets:
// split_analysis.go, split_rules.go, split_sym.go; again at run time for
// each input shape when other sizes than the batch's vary: split_late.go)
// runs a batch as sub-batches sized for the cache, which parts, one per
// thread with no barrier between operators, claim as they go
// (split_run.go); its outputs are those of the whole batch's run, bit for
// bit.
//
// Operators cover the default domain from opset 1 to 17 (with the
// attribute-to-input changes between versions: Clip, Pad, Slice, Split,
// Squeeze, Resize, ReduceSum, the legacy broadcast attribute of opset < 7)
// and the ONNX-ML domain (ai.onnx.ml 1 to 3: tree ensembles, linear models,
// SVMs, scalers, encoders, ZipMap), in files named by operator family
// (ml_*.go for ONNX-ML). SupportedOps lists them. Float16 tensors are
// computed in float32 by kernels without a half-precision path
// (half_kernel.go); bfloat16 values are float32 throughout, as the decoder
// reads them.
//
// Values that are not tensors (sequences, maps, optionals) live beside the
// tensor slots of a run (exec.go); the kernels that take or make them
// implement valueKernel. Subgraphs (If, Loop, Scan, SequenceMap) are
// planned like the main graph, the enclosing values they use being their
// node's implicit inputs (subgraph.go). Sessions run tensors through Run and
// any values through RunValues; a ZipMap output stays a dense [N, C]
// tensor inside the engine and in Run's results, and becomes a sequence of
// maps in RunValues' (ml_zipmap.go).
package native
