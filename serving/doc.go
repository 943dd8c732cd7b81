// Package serving holds the loaded model versions: it loads a repository
// into engine sessions, tracks each version's state (LOADING, AVAILABLE,
// FAILED), resolves names, numbers and labels to versions, and runs
// inference with the model's pre- and postprocessing.
package serving
