// Package dataset runs a dataset through a model version in process and
// profiles it (drift.Profile): an image folder, JSON Lines of input
// tensors, or CSV rows of a single tabular input. The rows are taken
// where payload capture takes them, from a runner wrapper, so a profile
// sees exactly what capture will see when the version serves.
package dataset
