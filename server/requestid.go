package server

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
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
// visible ASCII characters), or a new one: 24 hex digits, the time in
// milliseconds (12) then 48 random bits (12). Ids made later sort later,
// so that stores indexing them (monitor) append instead of writing all
// over their index; 48 random bits keep ids made in the same millisecond
// apart.
func requestID(given string) string {
	if validRequestID(given) {
		return given
	}
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails
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
