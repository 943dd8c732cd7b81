// Package auth authenticates the callers of the server and says what they
// may do: API keys (bearer tokens) from a file of their SHA-256 hashes,
// reloaded when it changes, and JWTs verified with the keys of a JWKS.
// Either gives a Principal, a name with scopes (predict, predict:PATTERN,
// read, manage, metrics); the server's route table says which scope each
// route needs. The package knows nothing of HTTP routes or gRPC methods.
package auth
