package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// RequestIDHeader names the request and response header (and gRPC
// metadata key, in lower case) that identifies a request. A client may
// send its own id; otherwise the server makes one. The server echoes it in
// the response (gRPC: header metadata) and logs it in the access log.
const RequestIDHeader = "Inferd-Request-Id"

// maxRequestIDLen is the longest client request id the server keeps; a
// longer one, or one with other than visible ASCII, is replaced.
const maxRequestIDLen = 128

// requestID returns the client's id when it is acceptable (1 to 128
// visible ASCII characters), or a new one: 16 random hex digits.
func requestID(given string) string {
	if validRequestID(given) {
		return given
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// RequestID returns the id of the request ctx belongs to (see
// RequestIDHeader), or "" outside a request.
func RequestID(ctx context.Context) string { return callInfo(ctx).requestID }
