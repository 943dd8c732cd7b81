package loadgen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/inferd/inferd/api/client"
)

// grpcTarget sends prepared requests through api/client over gRPC.
type grpcTarget struct {
	c    *client.Client
	reqs []*client.InferRequest
}

// timingKey is the context key of the *metadata.MD that the interceptor
// fills with a call's response headers.
type timingKey struct{}

// captureHeaders is a unary interceptor that stores the response headers
// of a call in the *metadata.MD its context carries, if any.
func captureHeaders(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if md, ok := ctx.Value(timingKey{}).(*metadata.MD); ok {
		opts = append(opts, grpc.Header(md))
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// newGRPCTarget prepares Open Inference Protocol requests over gRPC. The
// model's metadata comes over the same connection.
func newGRPCTarget(ctx context.Context, c TargetConfig) (Target, error) {
	addr := strings.TrimPrefix(c.URL, "grpc://")
	if strings.Contains(addr, "://") || addr == "" {
		return nil, fmt.Errorf("server URL %q: want grpc://HOST:PORT or HOST:PORT", c.URL)
	}
	cl, err := client.NewGRPC(addr, grpc.WithUnaryInterceptor(captureHeaders))
	if err != nil {
		return nil, err
	}
	mctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	md, err := cl.ModelMetadata(mctx, c.Model, c.Version)
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("metadata of model %q: %w", c.Model, err)
	}
	reqs, err := v2Requests(c, md)
	if err != nil {
		cl.Close()
		return nil, err
	}
	return &grpcTarget{c: cl, reqs: reqs}, nil
}

func (g *grpcTarget) Do(ctx context.Context, seq int) Outcome {
	var header metadata.MD
	_, err := g.c.Infer(context.WithValue(ctx, timingKey{}, &header), g.reqs[seq%len(g.reqs)])
	if err != nil && ctx.Err() != nil {
		return transportOutcome(ctx, err)
	}
	o := Outcome{OK: err == nil, Status: codeName(codes.OK)}
	var e *client.Error
	switch {
	case errors.As(err, &e):
		o.Status, o.Message = codeName(e.Code), e.Message
	case err != nil:
		return transportOutcome(ctx, err)
	}
	if vs := header.Get(strings.ToLower(TimingHeader)); len(vs) > 0 {
		if t, err := ParseTiming(vs[0]); err == nil {
			o.Timing, o.HasTiming = t, true
		}
	}
	return o
}

// codeName is a gRPC code as the protocol spells it: RESOURCE_EXHAUSTED.
func codeName(c codes.Code) string {
	var (
		b    strings.Builder
		prev rune
	)
	for _, r := range c.String() {
		if unicode.IsUpper(r) && unicode.IsLower(prev) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
		prev = r
	}
	return b.String()
}

func (g *grpcTarget) Close() error { return g.c.Close() }

var _ Target = (*grpcTarget)(nil)
