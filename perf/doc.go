// Package perf measures how fast engines run a model, side by side, and
// checks that they compute the same thing: it is what `inferd perf` prints
// and how the native engine is tracked against ONNX Runtime.
//
// Run loads the model once per engine and intra-op thread count, feeds it
// random inputs made with a fixed seed for the model's input types and
// shapes (the variable first dimension is the batch size; other variable
// dimensions are given by name), or the values given (Config.Values:
// constants, .npy, JSON or raw files; see ParseInput), and after a warm-up times every run for a
// bounded time or number of runs. The engines are measured side by side:
// at each thread count and batch size they take turns in rounds (of 250 ms,
// or a tenth of the runs), so that a swing in the machine's load falls on
// all of them alike. For each engine, thread count and batch
// size the Report holds the median and 99th-percentile latency, samples per
// second, GFLOP/s where FLOPs can be counted from the graph (Conv,
// ConvTranspose, Gemm and MatMul at the run's shapes; see FLOPs), Go heap
// allocations per run, and the speed relative to the first engine. Each
// engine's outputs are compared with the first engine's on the same inputs
// (largest absolute and relative differences, and a verdict against a
// tolerance).
package perf
