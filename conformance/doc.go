// Package conformance runs the official ONNX backend test suite against any
// registered engine and measures how much of it the engine gets right.
//
// The suite (Debian's libonnx-testdata, installed under
// /usr/share/libonnx-testdata/data) is a tree of case directories, each
// holding a model.onnx and one or more test_data_set_N directories with
// input_K.pb and output_K.pb files. input_K.pb feeds the K-th graph input
// that has no initializer and output_K.pb is the expected K-th graph
// output, as the ONNX backend test runner reads them.
//
// Discover finds the cases under a directory, Run loads and runs each on an
// engine.Engine and compares the outputs with the expected ones (floats
// within rtol 1e-3 and atol 1e-7, the ONNX backend tests' tolerances;
// everything else exactly), and the Report it returns renders the failing
// cases, a per-operator table and the closing "N passed, M failed, K
// skipped" line as text or JSON. An expected-pass list (one case name per
// line, see ReadExpected) turns the run into a regression test: Check fails
// when a listed case does not pass.
//
// Sessions see tensors only through engine.Session. Cases whose inputs or
// outputs are sequences, maps or optionals need the optional engine.ValueSession
// capability; on engines without it they are skipped with that reason.
package conformance
