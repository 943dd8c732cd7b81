// Package server exposes serving over HTTP: the seed routes (/models/...),
// health and readiness, and Prometheus metrics. Handlers return a value or an
// error; one function (errors.go) maps errors to status codes and writes
// {"error": "..."} bodies.
package server
