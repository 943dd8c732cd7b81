// Package app wires a complete inferd server once: a serving.Manager over
// a model repository, the HTTP and gRPC servers over it, and the metrics
// registry. `inferd serve` and the tests (server/servertest) both run
// servers through it.
package app
