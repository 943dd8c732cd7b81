package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/serving/runner"
)

// Config says what to serve and where.
type Config struct {
	// Repository is the model repository: a directory (RepositoryDir) or
	// any source.
	Repository    repository.Source
	RepositoryDir string
	// HTTPAddr and GRPCAddr are the listen addresses (host:port; port 0
	// picks a free one). An empty GRPCAddr disables gRPC.
	HTTPAddr, GRPCAddr string
	// Logger, when nil, discards logs.
	Logger *slog.Logger
	// Registry receives every metric and is served on /metrics; nil makes
	// a new one.
	Registry *prometheus.Registry
	// Serving and Server options, applied after the wiring's own.
	Serving []serving.Option
	Server  []server.Option
	// DrainTimeout bounds how long shutdown waits for requests in flight
	// (default 30s).
	DrainTimeout time.Duration
	// ShutdownDelay is how long shutdown keeps serving, not ready, before
	// it drains (server.WithShutdownDelay; default 0).
	ShutdownDelay time.Duration
	// PollInterval is how often a repository directory is re-read besides
	// file notifications (default repository.DefaultPollInterval).
	PollInterval time.Duration
	// Watch follows the repository after the first load.
	Watch bool
	// Monitor, when set, captures requests and takes feedback (its
	// writer runs with the server; the caller closes its store after Run).
	Monitor *monitor.Monitor
}

// App is a wired server, listening, not yet serving.
type App struct {
	Models   *serving.Manager
	Server   *server.Server
	Registry *prometheus.Registry
	// HTTPAddr and GRPCAddr are the bound addresses ("" without gRPC).
	HTTPAddr, GRPCAddr string

	cfg     Config
	log     *slog.Logger
	ln, gln net.Listener
	source  repository.Source
	loaded  chan struct{}
	loadErr error
	stopped chan struct{}
}

// New builds the manager and the servers and binds the listeners.
func New(cfg Config) (*App, error) {
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 30 * time.Second
	}
	a := &App{cfg: cfg, log: cfg.Logger, Registry: cfg.Registry, loaded: make(chan struct{}), stopped: make(chan struct{})}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.Registry == nil {
		a.Registry = prometheus.NewRegistry()
	}
	a.source = cfg.Repository
	if a.source == nil {
		a.source = repository.NewDir(cfg.RepositoryDir, repository.WithPollInterval(cfg.PollInterval), repository.WithLogger(a.log))
	}
	if m := cfg.Monitor; m != nil {
		cfg.Serving = append(cfg.Serving, serving.WithCapture(func(v *serving.Version) runner.Wrapper {
			return m.Wrap(monitor.TargetFor(v.ModelName, v.Number, v.Config))
		}))
		cfg.Server = append(cfg.Server, server.WithMonitor(m))
	}
	a.Models = serving.New(append([]serving.Option{
		serving.WithLogger(a.log), serving.WithRegisterer(a.Registry), serving.WithDrainTimeout(cfg.DrainTimeout),
	}, cfg.Serving...)...)
	a.Server = server.New(a.Models, append([]server.Option{
		server.WithLogger(a.log), server.WithMetrics(a.Registry, a.Registry), server.WithDrainTimeout(cfg.DrainTimeout),
		server.WithShutdownDelay(cfg.ShutdownDelay),
	}, cfg.Server...)...)
	if err := a.listen(); err != nil {
		return nil, err
	}
	return a, nil
}

// listen binds the HTTP and gRPC listeners.
func (a *App) listen() error {
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("--http-addr: %w", err)
	}
	a.ln, a.HTTPAddr = ln, ln.Addr().String()
	if a.cfg.GRPCAddr == "" {
		return nil
	}
	if a.gln, err = net.Listen("tcp", a.cfg.GRPCAddr); err != nil {
		ln.Close()
		return fmt.Errorf("--grpc-addr: %w", err)
	}
	a.GRPCAddr = a.gln.Addr().String()
	return nil
}

// Loaded is closed once the first load of the repository has finished.
func (a *App) Loaded() <-chan struct{} { return a.loaded }

// LoadErr is, once Loaded is closed, why the repository could not be read
// at all (nil when it could; problems with single models are on them).
func (a *App) LoadErr() error {
	<-a.loaded
	return a.loadErr
}

// Run serves until ctx is done, loading the repository meanwhile (the
// server is not ready until every model is) and then following it when
// Config.Watch is set. On ctx's end it turns not-ready, drains the
// requests in flight and unloads the models. It fails when the repository
// cannot be read at all or a server fails.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go a.load(ctx, cancel)
	stopMonitor := a.runMonitor()
	serveErr := a.Server.ServeListeners(ctx, a.ln, a.gln)
	cancel(nil) // stop loading and watching
	<-a.loaded
	<-a.stopped
	closeErr := a.Models.Close()
	stopMonitor() // after the last request: writes what is queued
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return errors.Join(serveErr, closeErr)
}

// load loads the repository, then watches it; a repository that cannot be
// read at all stops the server.
func (a *App) load(ctx context.Context, stop context.CancelCauseFunc) {
	defer close(a.stopped)
	err := a.Models.Load(ctx, a.source)
	a.loadErr = err
	a.Server.ReadinessChanged()
	close(a.loaded)
	if err != nil {
		if ctx.Err() == nil {
			stop(fmt.Errorf("model repository %s: %w", a.source, err))
		}
		return
	}
	if a.cfg.Watch {
		_ = a.Models.Watch(ctx)
	}
}

// runMonitor starts the monitor's writer; the function it returns stops
// it once the queued records are written.
func (a *App) runMonitor() func() {
	m := a.cfg.Monitor
	if m == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = m.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
