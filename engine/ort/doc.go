// Package ort is the "ort" engine: ONNX Runtime, called through cgo with
// github.com/yalue/onnxruntime_go. It is opt-in: the engine is compiled only
// with the build tag ort (go build -tags ort ./cmd/inferd); without it a
// stub named "ort" is registered whose Load fails with an error that says how
// to enable it, so the default build stays pure Go.
//
// ONNX Runtime is a shared library loaded at run time from the path given
// to SetLibraryPath (the --ort-library flag), else from the
// INFERD_ORT_LIBRARY environment variable. The library is loaded once per
// process, on the first Load; scripts/onnxruntime.sh fetches the linux-x64
// build of ONNX Runtime 1.30.
//
// Sessions take their inputs and outputs from the model: every tensor
// element type of the engine interface (including FP16 and BYTES strings)
// is accepted and returned. Outputs that are not tensors are flattened for
// Run, as follows:
//
//   - a sequence of maps, such as the probabilities of an ONNX-ML
//     classifier after ZipMap, becomes a [N, K] tensor of the map value
//     type: row i holds map i's values in ascending key order (ONNX
//     Runtime's maps are ordered by key; ZipMap's keys are the class labels,
//     so for integer labels 0..K-1 column j is class j). Every map must have
//     the same keys.
//   - a single map becomes the 1-D tensor of its values in key order.
//   - a sequence of tensors of one type and shape becomes their stack, with
//     the sequence as the first dimension.
//
// Sessions also implement RunValues, which takes and returns ONNX values
// (onnx.Value) as they are, sequences, maps and nested values included:
// this is what the conformance runner uses for ONNX-ML and sequence models.
//
// Run is safe for concurrent use: ONNX Runtime sessions are, and every run
// has its own input and output values. Input data is passed to ONNX Runtime
// without copying. Intra-op threads come from engine.Options.IntraOpThreads
// (0: ONNX Runtime's default, one per physical core); InterOpThreads above 1
// switches the session to parallel execution of independent nodes with that
// many threads.
package ort
