package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"

	"github.com/inferd/inferd/auth"
	"github.com/inferd/inferd/console"
	"github.com/inferd/inferd/console/series"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/serving"
)

// DefaultMaxBodyBytes is the default request body limit.
const DefaultMaxBodyBytes = 32 << 20

// DefaultGRPCMaxMessageBytes is the default limit on gRPC messages, each
// way. gRPC's own default (4 MiB) is too small for batches of images.
const DefaultGRPCMaxMessageBytes = 64 << 20

// Catalog lists the served models and finds versions for metadata.
type Catalog interface {
	Models() []*serving.ServedModel
	Model(name string) (*serving.ServedModel, error)
	// Resolve finds a version by number, label or "" (the default)
	// without taking a reference.
	Resolve(name, ref string) (*serving.Version, error)
	// Ready reports whether the models the readiness policy names can
	// serve; why says what is missing, or, when ready, which models do
	// not serve ("" when all do).
	Ready() (ready bool, why string)
}

// Acquirer finds the version that serves a request: by number, label, or
// "" (the traffic split or the default) with key pinning a client to one
// version of a split. The version stays loaded until its Release.
type Acquirer interface {
	Acquire(name, ref, key string) (*serving.Version, error)
}

// Lifecycle is the management API: labels, traffic splits and explicit
// model control.
type Lifecycle interface {
	SetLabel(name, label string, version int) error
	DeleteLabel(name, label string) error
	SetTraffic(name string, split map[string]int) error
	Explicit() bool
	Index(ctx context.Context) ([]serving.IndexEntry, error)
	LoadModel(ctx context.Context, name string) error
	UnloadModel(name string) error
}

// Models is everything the server needs of the serving layer;
// *serving.Manager implements it.
type Models interface {
	Catalog
	Acquirer
	Lifecycle
}

var _ Models = (*serving.Manager)(nil)

// Server serves models over HTTP (the seed routes, the Open Inference
// Protocol and TF Serving's REST API) and gRPC (the Open Inference
// Protocol).
type Server struct {
	models       Models
	monitor      Monitor    // nil: no feedback routes
	records      ModelFiles // nil: no promotion history in the model status
	log          *slog.Logger
	gatherer     prometheus.Gatherer
	metrics      *metrics
	version      string
	maxBody      int64
	maxPixels    int
	budget       *memBudget
	grpcMaxMsg   int
	grpcOpts     []grpc.ServerOption
	drainTimeout time.Duration
	timeouts     httpTimeouts
	grpcConnTime time.Duration
	tlsConfig    *tls.Config
	delay        time.Duration // the shutdown delay
	rates        *clientRates  // nil: no rate limit
	maxInflight  int64         // 0: no cap
	inflight     atomic.Int64
	handler      http.Handler
	access       accessLog
	stopping     atomic.Bool
	health       atomic.Pointer[health.Server] // the gRPC health service, while serving
	authn        auth.Authenticator            // nil: no credentials configured (see WithAuth)
	loopback     atomic.Bool                   // the HTTP listener is on a loopback address
	mgmtLn       net.Listener                  // nil: management is served on the HTTP listener
	series       *series.Store                 // the console's metrics (nil: none)
	console      *console.Console              // nil: no console (see console.go)
	consoleMode  ConsoleMode
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithMetrics registers the HTTP metrics with reg and serves everything
// gathered from g on /metrics.
func WithMetrics(reg prometheus.Registerer, g prometheus.Gatherer) Option {
	return func(s *Server) { s.metrics, s.gatherer = newMetrics(reg), g }
}

// WithMaxBodyBytes sets the request body limit (default 32 MiB).
func WithMaxBodyBytes(n int64) Option { return func(s *Server) { s.maxBody = n } }

// WithMaxImagePixels sets the largest image, in pixels, a request may carry.
func WithMaxImagePixels(n int) Option { return func(s *Server) { s.maxPixels = n } }

// WithMemoryBudget sets the memory budgets: perRequest bounds what one
// request may hold (its body, decoded tensors and images; more is refused
// with 413), inflight what all requests in flight may hold together (a
// request that finds it spent is refused with 429, never queued). Zero
// keeps a default (DefaultMaxRequestMemoryBytes,
// DefaultMaxInflightMemoryBytes).
func WithMemoryBudget(perRequest, inflight int64) Option {
	return func(s *Server) {
		if perRequest > 0 {
			s.budget.perRequest = perRequest
		}
		if inflight > 0 {
			s.budget.limit = inflight
		}
	}
}

// WithVersion sets the server version reported by the protocols' server
// metadata.
func WithVersion(v string) Option { return func(s *Server) { s.version = v } }

// WithGRPCMaxMessageBytes sets the largest gRPC message received or sent
// (default 64 MiB).
func WithGRPCMaxMessageBytes(n int) Option { return func(s *Server) { s.grpcMaxMsg = n } }

// WithGRPCServerOptions adds options to the gRPC server, after inferd's own
// (message sizes, interceptors): TLS credentials, keepalive parameters,
// more interceptors.
func WithGRPCServerOptions(opts ...grpc.ServerOption) Option {
	return func(s *Server) { s.grpcOpts = append(s.grpcOpts, opts...) }
}

// WithDrainTimeout bounds how long shutdown waits for requests in flight.
func WithDrainTimeout(d time.Duration) Option { return func(s *Server) { s.drainTimeout = d } }

// DefaultReadTimeout is the default time a client has to send a whole
// request, headers and body.
const DefaultReadTimeout = 60 * time.Second

// DefaultReadHeaderTimeout is the default time a client has to send a
// request's headers.
const DefaultReadHeaderTimeout = 10 * time.Second

// DefaultIdleTimeout is the default time an idle keep-alive connection is
// kept open.
const DefaultIdleTimeout = 120 * time.Second

// httpTimeouts are the HTTP server's connection timeouts.
type httpTimeouts struct {
	read, readHeader, idle time.Duration
}

// WithHTTPTimeouts sets how long a client has to send a whole request
// (read: headers and body; a body trickled slower is cut), its headers
// (readHeader), and how long an idle keep-alive connection stays open
// (idle). Zero keeps a default (DefaultReadTimeout,
// DefaultReadHeaderTimeout, DefaultIdleTimeout); a negative value turns
// the timeout off.
func WithHTTPTimeouts(read, readHeader, idle time.Duration) Option {
	return func(s *Server) {
		pick := func(d, def time.Duration) time.Duration {
			switch {
			case d < 0:
				return 0
			case d == 0:
				return def
			}
			return d
		}
		s.timeouts = httpTimeouts{
			read:       pick(read, DefaultReadTimeout),
			readHeader: pick(readHeader, DefaultReadHeaderTimeout),
			idle:       pick(idle, DefaultIdleTimeout),
		}
	}
}

// WithTLSConfig serves HTTP and gRPC over TLS with cfg (see
// internal/tlsreload for a certificate reloaded from files, and mutual
// TLS). Without it both serve plain text (h2c for gRPC).
func WithTLSConfig(cfg *tls.Config) Option { return func(s *Server) { s.tlsConfig = cfg } }

// WithShutdownDelay sets how long shutdown keeps accepting connections
// and serving requests, while readiness reports not ready, before it
// drains: the time load balancers and Kubernetes endpoints need to stop
// sending new requests (default 0).
func WithShutdownDelay(d time.Duration) Option { return func(s *Server) { s.delay = max(d, 0) } }

// New returns a Server for models.
func New(models Models, opts ...Option) *Server {
	s := &Server{
		models:       models,
		log:          slog.Default(),
		maxBody:      DefaultMaxBodyBytes,
		maxPixels:    preprocess.DefaultMaxPixels,
		budget:       newMemBudget(DefaultMaxRequestMemoryBytes, DefaultMaxInflightMemoryBytes),
		grpcMaxMsg:   DefaultGRPCMaxMessageBytes,
		version:      "dev",
		drainTimeout: 30 * time.Second,
		timeouts:     httpTimeouts{read: DefaultReadTimeout, readHeader: DefaultReadHeaderTimeout, idle: DefaultIdleTimeout},
		grpcConnTime: DefaultGRPCConnectionTimeout,
		access:       accessLog{mode: AccessLogAll, sample: 1},
	}
	for _, o := range opts {
		o(s)
	}
	if s.metrics == nil {
		reg := prometheus.NewRegistry()
		s.metrics, s.gatherer = newMetrics(reg), reg
	}
	s.handler = s.accessLogged(s.routes())
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.handle(mux, "GET /healthz", s.healthz)
	s.handle(mux, "GET /readyz", s.readyz)
	s.handle(mux, "GET /models", s.listModels)
	s.handle(mux, "GET /models/{name}", s.getModel)
	s.handle(mux, "GET /models/{name}/{version}", s.getVersion)
	s.handle(mux, "POST /models/{name}/{version}", s.predict)
	s.lifecycleRoutes(mux)
	s.feedbackRoutes(mux)
	mux.Handle("GET /metrics", s.guarded("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{})))
	s.v2Routes(mux)
	s.tfRoutes(mux)
	if s.console != nil {
		s.consoleRoutes(mux)
	}
	return s.jsonFallback(mux)
}

// Serve serves HTTP only on ln until ctx is done (see ServeListeners).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.ServeListeners(ctx, ln, nil)
}

// ServeListeners serves HTTP on httpLn and, when grpcLn is not nil, gRPC on
// grpcLn, until ctx is done or either server fails. Shutdown marks the
// server not ready (readiness routes and the gRPC health service) and
// keeps serving, new connections included, for the shutdown delay, so
// that load balancers stop sending requests first; then it stops
// accepting connections on both and waits, up to the drain timeout, for
// the requests and calls in flight to finish; gRPC calls still running at
// the deadline are cancelled. The caller unloads the models afterwards.
func (s *Server) ServeListeners(ctx context.Context, httpLn, grpcLn net.Listener) error {
	s.loopback.Store(isLoopbackListener(httpLn))
	if s.authn == nil && !s.managementOpen() {
		s.log.Warn("no credentials configured (--auth-tokens, --auth-jwks) and the listener serving management is not on loopback: management routes are refused, every other route is open")
	}
	stopManagement := s.serveManagement(ctx)
	srv := s.httpServer(ctx)
	httpErr := make(chan error, 1)
	go func() { httpErr <- s.serveHTTP(srv, httpLn) }()
	s.log.Info("serving HTTP", "addr", httpLn.Addr().String(), "tls", s.tlsConfig != nil)
	var g *grpcServer
	if grpcLn != nil {
		g = s.startGRPC(ctx, grpcLn)
		s.log.Info("serving gRPC", "addr", grpcLn.Addr().String(), "tls", s.tlsConfig != nil)
	}
	select {
	case err := <-httpErr:
		s.stopping.Store(true)
		if g != nil {
			g.stop()
		}
		_ = stopManagement(context.Background())
		return fmt.Errorf("HTTP server: %w", err)
	case err := <-g.failed():
		s.stopping.Store(true)
		srv.Close()
		<-httpErr
		_ = stopManagement(context.Background())
		return fmt.Errorf("gRPC server: %w", err)
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	s.ReadinessChanged() // the gRPC health service too, at once
	if s.console != nil {
		s.console.Close() // event streams would hold the drain
	}
	s.linger(srv)
	return s.drain(srv, httpErr, g, stopManagement)
}

// httpServer is the HTTP server, with its timeouts.
func (s *Server) httpServer(ctx context.Context) *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadTimeout:       s.timeouts.read,
		ReadHeaderTimeout: s.timeouts.readHeader,
		IdleTimeout:       s.timeouts.idle,
		TLSConfig:         s.tlsConfig.Clone(), // net/http adds its ALPN protocols to the config it gets
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

// serveHTTP serves srv on ln, over TLS when the server has a TLS
// configuration (HTTP/2 and HTTP/1.1 by ALPN).
func (s *Server) serveHTTP(srv *http.Server, ln net.Listener) error {
	if s.tlsConfig != nil {
		return srv.ServeTLS(ln, "", "") // the certificate comes from TLSConfig
	}
	return srv.Serve(ln)
}

// linger keeps serving for the shutdown delay while not ready. Answers
// close their keep-alive connections meanwhile, so that clients connect
// again through the load balancer, to servers that are staying.
func (s *Server) linger(srv *http.Server) {
	if s.delay <= 0 {
		return
	}
	s.log.Info("shutting down: not ready, still serving for the shutdown delay", "delay", s.delay)
	srv.SetKeepAlivesEnabled(false)
	time.Sleep(s.delay)
}

// drain stops accepting connections and waits, up to the drain timeout,
// for the HTTP requests and gRPC calls in flight.
func (s *Server) drain(srv *http.Server, httpErr <-chan error, g *grpcServer, stopManagement func(context.Context) error) error {
	s.log.Info("shutting down: draining requests in flight", "timeout", s.drainTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.drainTimeout)
	defer cancel()
	grpcDrained := make(chan error, 1)
	if g != nil {
		go func() { grpcDrained <- g.drain(sctx) }()
	} else {
		grpcDrained <- nil
	}
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("draining HTTP requests: %w", err))
	}
	if err := <-grpcDrained; err != nil {
		errs = append(errs, fmt.Errorf("draining gRPC calls: %w", err))
	}
	if err := <-httpErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	if err := stopManagement(sctx); err != nil {
		errs = append(errs, fmt.Errorf("management listener: %w", err))
	}
	return errors.Join(errs...)
}
