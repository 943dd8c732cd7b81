package monitor

import "context"

// Call is what the protocol adapter knows about a request that the runner
// does not: its id, the client and the request headers. The server puts
// it in the request's context (WithCall); capture reads it (CallOf).
type Call struct {
	RequestID string
	ClientID  string
	// Header returns a request header (gRPC: a metadata value) by name;
	// nil when there are none.
	Header func(name string) string
}

type callKey struct{}

// WithCall returns ctx carrying c.
func WithCall(ctx context.Context, c *Call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// CallOf returns the Call in ctx, or nil.
func CallOf(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}
