// Package runner is inferd's data plane: the one contract that everything
// that runs tensors implements (an engine session, a pool of sessions, a
// batcher, a shadowing or checking wrapper, later a pipeline), and the
// wrappers that compose a version's runner at load time.
//
// A version's runner is built as
//
//	Check(inputs, outputs) → [capture] → [shadow] → [Split] → Batch | Timed → Pool(sessions)
//
// and every protocol reaches it through serving's one inference function.
// A new capability (payload capture, drift, a pipeline step) is a new
// Wrapper or a new Runner; nothing else changes.
package runner
