// Package fake is an in-memory engine for tests where the numbers do not
// matter: the serving lifecycle, routing, protocols and wiring. Its
// "model file" is JSON that declares the inputs and outputs and what a
// run does, so a test needs no ONNX file and no real engine:
//
//	{"inputs":  [{"name": "x", "datatype": "FP32", "shape": [-1, 2]}],
//	 "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 2]}],
//	 "scale": 2}
//
// Output i is input i (modulo the number of inputs) with its float values
// multiplied by scale (default 1); other datatypes are copied and must
// match. "load_error" makes loading fail and "run_error" every run.
// Importing the package registers the engine as "fake".
package fake
