package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/serving"
)

// DefaultMaxBodyBytes is the default request body limit.
const DefaultMaxBodyBytes = 32 << 20

// Server serves a serving.Manager over HTTP.
type Server struct {
	models       *serving.Manager
	log          *slog.Logger
	gatherer     prometheus.Gatherer
	metrics      *metrics
	maxBody      int64
	maxPixels    int
	drainTimeout time.Duration
	handler      http.Handler
	stopping     atomic.Bool
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

// WithDrainTimeout bounds how long shutdown waits for requests in flight.
func WithDrainTimeout(d time.Duration) Option { return func(s *Server) { s.drainTimeout = d } }

// New returns a Server for models.
func New(models *serving.Manager, opts ...Option) *Server {
	s := &Server{
		models:       models,
		log:          slog.Default(),
		maxBody:      DefaultMaxBodyBytes,
		maxPixels:    preprocess.DefaultMaxPixels,
		drainTimeout: 30 * time.Second,
	}
	for _, o := range opts {
		o(s)
	}
	if s.metrics == nil {
		reg := prometheus.NewRegistry()
		s.metrics, s.gatherer = newMetrics(reg), reg
	}
	s.handler = s.routes()
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
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{}))
	return s.jsonFallback(mux)
}

// Run listens on addr and serves until ctx is done, then shuts down
// gracefully (see Serve).
func (s *Server) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done. Shutdown marks the server not
// ready, stops accepting connections and waits (up to the drain timeout)
// for requests in flight to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving HTTP", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("HTTP server: %w", err)
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	s.log.Info("shutting down: not ready, draining requests in flight", "timeout", s.drainTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.drainTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("draining HTTP requests: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
