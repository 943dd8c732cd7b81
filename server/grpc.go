package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/auth"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/serving/runner"
)

// DefaultGRPCConnectionTimeout is the default time a new gRPC connection
// has to finish its TLS handshake and send the HTTP/2 preface; one that
// does not is closed.
const DefaultGRPCConnectionTimeout = 10 * time.Second

// WithGRPCConnectionTimeout sets how long a new gRPC connection has to
// finish its TLS handshake and send the HTTP/2 preface (default
// DefaultGRPCConnectionTimeout).
func WithGRPCConnectionTimeout(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.grpcConnTime = d
		}
	}
}

// grpcKeepalive is how the gRPC server keeps connections alive and
// bounds them: a client may ping every 10s at most (more often, or
// without calls when not permitted, and it is sent GOAWAY), idle
// connections close after 5 minutes, and a connection that does not
// answer a ping within 20s is closed.
var (
	grpcEnforcement = keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}
	grpcKeepalive   = keepalive.ServerParameters{MaxConnectionIdle: 5 * time.Minute, Time: time.Minute, Timeout: 20 * time.Second}
)

// grpcBaseOptions are the gRPC server's own options: message sizes,
// interceptors, connection bounds and TLS.
func (s *Server) grpcBaseOptions(endStreams <-chan struct{}) []grpc.ServerOption {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(s.grpcMaxMsg),
		grpc.MaxSendMsgSize(s.grpcMaxMsg),
		grpc.ChainUnaryInterceptor(s.unaryInterceptor, s.limitUnary),
		grpc.ChainStreamInterceptor(streamInterceptor(endStreams), s.streamAuth),
		grpc.ConnectionTimeout(s.grpcConnTime),
		grpc.KeepaliveEnforcementPolicy(grpcEnforcement),
		grpc.KeepaliveParams(grpcKeepalive),
	}
	if s.tlsConfig != nil {
		// A config of its own: the HTTP server changes the one it gets
		// while gRPC may be reading this one.
		opts = append(opts, grpc.Creds(credentials.NewTLS(s.tlsConfig.Clone())))
	}
	return opts
}

// readinessPoll is how often the gRPC health service re-checks readiness.
const readinessPoll = 250 * time.Millisecond

// grpcServer is the running gRPC side of a Server: the Open Inference
// Protocol service, the standard health service and server reflection.
type grpcServer struct {
	srv       *grpc.Server
	health    *health.Server
	served    chan error // the result of Serve
	stopWatch context.CancelFunc
	watching  chan struct{} // closed when the readiness watcher has stopped
	// endStreams is closed when draining starts: streams (health Watch)
	// are long-lived and would hold graceful shutdown to its deadline.
	endStreams chan struct{}
}

// startGRPC starts serving gRPC on ln.
func (s *Server) startGRPC(ctx context.Context, ln net.Listener) *grpcServer {
	endStreams := make(chan struct{})
	gs := grpc.NewServer(append(s.grpcBaseOptions(endStreams), s.grpcOpts...)...)
	v2.RegisterGRPCInferenceServiceServer(gs, &inferenceService{s: s})
	hs := health.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	reflection.Register(gs)
	wctx, cancel := context.WithCancel(ctx)
	g := &grpcServer{srv: gs, health: hs, served: make(chan error, 1), stopWatch: cancel, watching: make(chan struct{}), endStreams: endStreams}
	s.health.Store(hs)
	s.updateHealth(hs) // before the first call can arrive
	go func() {
		defer close(g.watching)
		s.watchReadiness(wctx, hs)
	}()
	go func() { g.served <- gs.Serve(ln) }()
	return g
}

// watchReadiness keeps the health status of the server ("") and of the
// inference service in step with readiness until ctx is done.
func (s *Server) watchReadiness(ctx context.Context, hs *health.Server) {
	t := time.NewTicker(readinessPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.updateHealth(hs)
		}
	}
}

// ReadinessChanged tells the server that readiness may have changed (the
// repository finished loading), so that the gRPC health service reports
// it at once rather than at its next poll.
func (s *Server) ReadinessChanged() {
	if hs := s.health.Load(); hs != nil {
		s.updateHealth(hs)
	}
}

func (s *Server) updateHealth(hs *health.Server) {
	st := healthpb.HealthCheckResponse_SERVING
	if s.ready() != nil {
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	hs.SetServingStatus("", st)
	hs.SetServingStatus(v2.GRPCInferenceService_ServiceDesc.ServiceName, st)
}

// failed delivers Serve's error if gRPC stops on its own (nil g: never).
func (g *grpcServer) failed() <-chan error {
	if g == nil {
		return nil
	}
	return g.served
}

// drain reports NOT_SERVING, ends streams, stops accepting calls and waits
// for the unary calls in flight until ctx is done, then cancels the rest.
func (g *grpcServer) drain(ctx context.Context) error {
	g.stopWatch()
	<-g.watching
	g.health.Shutdown()
	close(g.endStreams)
	stopped := make(chan struct{})
	go func() {
		g.srv.GracefulStop()
		close(stopped)
	}()
	var err error
	select {
	case <-stopped:
	case <-ctx.Done():
		g.srv.Stop()
		<-stopped
		err = fmt.Errorf("calls still running after the drain timeout were cancelled: %w", ctx.Err())
	}
	<-g.served
	return err
}

// stop stops at once.
func (g *grpcServer) stop() {
	g.stopWatch()
	<-g.watching
	g.srv.Stop()
	<-g.served
}

type reqInfoKey struct{}

// callInfo returns the reqInfo the interceptor put in ctx.
func callInfo(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// unaryInterceptor is to gRPC what handleProtocol and accessLogged are
// to HTTP: it gives the call its request id (echoed in header metadata),
// maps errors to status codes (grpcError), records metrics for the
// inference service, writes the access log line, and turns a panic into
// an Internal error instead of a crash.
func (s *Server) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	start := time.Now()
	ri := grpcCallInfo(ctx, info.FullMethod)
	_ = grpc.SetHeader(ctx, metadata.Pairs(strings.ToLower(RequestIDHeader), ri.requestID))
	measured := strings.HasPrefix(info.FullMethod, "/"+v2.GRPCInferenceService_ServiceDesc.ServiceName+"/")
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in gRPC call", "method", info.FullMethod, "panic", p, "stack", string(debug.Stack()))
			resp, err = nil, fmt.Errorf("internal error: %v", p)
		}
		code := http.StatusOK
		if err != nil {
			code, ri.err = statusOf(err), err
		}
		if measured {
			s.metrics.observe(protoV2GRPC, info.FullMethod, ri.model, ri.version, code, time.Since(start))
			if ri.scope == auth.Predict {
				s.series.Request(ri.model, ri.version, code, time.Since(start))
			}
		}
		err = grpcError(err)
		s.logAccess(ctx, &accessEntry{
			method: http.MethodPost, remote: peerAddr(ctx), info: ri, status: code, grpcCode: status.Code(err).String(),
			latency: time.Since(start), reqBytes: messageSize(req), respBytes: messageSize(resp),
		})
	}()
	tctx := runner.WithTiming(context.WithValue(ctx, reqInfoKey{}, ri))
	tctx = monitor.WithCall(tctx, &monitor.Call{RequestID: ri.requestID, ClientID: ri.client, Header: metadataGetter(ctx)})
	if err = s.authorizeCall(ctx, info.FullMethod, req, ri); err != nil {
		return nil, err
	}
	if measured {
		mem := s.budget.newReservation()
		defer mem.done()
		// The message as received and as decoded; gRPC has read it by now.
		if err = mem.charge(2*messageSize(req), "the gRPC message"); err != nil {
			return nil, err
		}
		tctx = withReservation(tctx, mem)
	}
	resp, err = handler(tctx, req)
	if t, ok := runner.TimingOf(tctx); ok {
		_ = grpc.SetHeader(ctx, metadata.Pairs(strings.ToLower(TimingHeader), t.String()))
	}
	return resp, err
}

// grpcCallInfo starts the reqInfo of a call from its metadata: the client
// id and the request id (the client's, or a new one).
func grpcCallInfo(ctx context.Context, method string) *reqInfo {
	ri := &reqInfo{protocol: protoV2GRPC, route: method}
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(strings.ToLower(ClientHeader)); len(v) > 0 {
		ri.client = v[0]
	}
	given := ""
	if v := md.Get(strings.ToLower(RequestIDHeader)); len(v) > 0 {
		given = v[0]
	}
	ri.requestID = requestID(given)
	return ri
}

// metadataGetter returns the first value of a call's metadata key (any
// case), as monitor.Call.Header.
func metadataGetter(ctx context.Context) func(string) string {
	md, _ := metadata.FromIncomingContext(ctx)
	return func(name string) string {
		if v := md.Get(name); len(v) > 0 {
			return v[0]
		}
		return ""
	}
}

// peerAddr is the address of the call's client.
func peerAddr(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}

// messageSize is the encoded size of a protobuf message (0 for others,
// and for a nil answer).
func messageSize(m any) int64 {
	if pm, ok := m.(proto.Message); ok && pm != nil {
		return int64(proto.Size(pm))
	}
	return 0
}

// streamInterceptor ends streams when end is closed, by cancelling their
// context.
func streamInterceptor(end <-chan struct{}) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, cancel := context.WithCancel(ss.Context())
		defer cancel()
		go func() {
			select {
			case <-end:
				cancel()
			case <-ctx.Done():
			}
		}()
		return handler(srv, &ctxStream{ServerStream: ss, ctx: ctx})
	}
}

// ctxStream is a ServerStream with another context.
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }
