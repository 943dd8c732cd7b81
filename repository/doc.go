// Package repository reads a model repository: one directory per model,
// each with a config.yaml and one numbered directory per version
// containing model.onnx.
//
// A Source is where a repository comes from: NewDir for a local directory,
// NewMemory for tests, object storage later. It lists the models as
// Entry values, serves each model's files as an fs.FS and tells when the
// repository may have changed (Watch). Settled wraps a Source so that new
// and changed files are used only once they have stopped changing.

package repository
