// Package tlsreload serves a TLS certificate and key from files that may
// be replaced while the server runs (a renewed certificate, a rotated
// Kubernetes Secret): the pair is cached and loaded again when either
// file's modification time or size changes, checked at most once per
// interval, on the handshake path. A pair that fails to load (a
// half-written rotation, a key that does not match) keeps the previous
// one serving until the files are fixed.
package tlsreload
