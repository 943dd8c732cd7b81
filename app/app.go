package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferd/inferd/console"
	"github.com/inferd/inferd/console/series"
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
	// ManagementAddr, when set, is the address of the management listener
	// (server.WithManagementListener): management routes are served there
	// and not on HTTPAddr.
	ManagementAddr string
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
	// Console configures the web console (off when Mode is "" or off).
	Console Console
}

// Console configures the web console: where it is served (Mode), the drift
// watcher it shows (nil: none) and the repository directory whose
// promotion records it shows ("": none).
type Console struct {
	Mode          server.ConsoleMode
	Drift         console.Drift
	PromotionsDir string
}

// App is a wired server, listening, not yet serving.
type App struct {
	Models   *serving.Manager
	Server   *server.Server
	Registry *prometheus.Registry
	// HTTPAddr and GRPCAddr are the bound addresses ("" without gRPC);
	// ManagementAddr the management listener's ("" without one).
	HTTPAddr, GRPCAddr, ManagementAddr string

	cfg          Config
	log          *slog.Logger
	ln, gln, mln net.Listener
	source       repository.Source
	loaded       chan struct{}
	loadErr      error
	stopped      chan struct{}
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
	cons := a.console(&cfg)
	a.Models = serving.New(append([]serving.Option{
		serving.WithLogger(a.log), serving.WithRegisterer(a.Registry), serving.WithDrainTimeout(cfg.DrainTimeout),
	}, cfg.Serving...)...)
	if err := a.listen(); err != nil {
		return nil, err
	}
	opts := []server.Option{
		server.WithLogger(a.log), server.WithMetrics(a.Registry, a.Registry), server.WithDrainTimeout(cfg.DrainTimeout),
		server.WithShutdownDelay(cfg.ShutdownDelay), server.WithPromotions(a.source),
	}
	if a.mln != nil {
		opts = append(opts, server.WithManagementListener(a.mln))
	}
	if cons != nil {
		cons.models = a.Models
	}
	a.Server = server.New(a.Models, append(opts, cfg.Server...)...)
	return a, nil
}

// lateCatalog is the manager, set once it exists (the console is made
// before it, since the manager's options feed the console's series).
type lateCatalog struct{ models *serving.Manager }

func (l *lateCatalog) Models() []*serving.ServedModel { return l.models.Models() }
func (l *lateCatalog) Model(name string) (*serving.ServedModel, error) {
	return l.models.Model(name)
}

// console adds the web console and its ring buffer of metrics to cfg's
// serving and server options, unless it is off.
func (a *App) console(cfg *Config) *lateCatalog {
	cc := cfg.Console
	if cc.Mode == "" || cc.Mode == server.ConsoleOff {
		return nil
	}
	st := series.New()
	cat := &lateCatalog{}
	ccfg := console.Config{Models: cat, Series: st, Drift: cc.Drift}
	if cfg.Monitor != nil {
		ccfg.Accuracy = cfg.Monitor
	}
	if cc.PromotionsDir != "" {
		ccfg.Promotions = console.PromotionsFromDir(cc.PromotionsDir)
	}
	cfg.Serving = append(cfg.Serving, serving.WithSeries(st))
	cfg.Server = append(cfg.Server, server.WithSeries(st), server.WithConsole(console.New(ccfg), cc.Mode))
	return cat
}

// listen binds the HTTP, gRPC and management listeners, or none.
func (a *App) listen() error {
	binds := []struct {
		flag, addr string
		ln         *net.Listener
		bound      *string
	}{
		{"--http-addr", a.cfg.HTTPAddr, &a.ln, &a.HTTPAddr},
		{"--grpc-addr", a.cfg.GRPCAddr, &a.gln, &a.GRPCAddr},
		{"--management-addr", a.cfg.ManagementAddr, &a.mln, &a.ManagementAddr},
	}
	for i, b := range binds {
		if b.addr == "" && i > 0 {
			continue
		}
		ln, err := net.Listen("tcp", b.addr)
		if err != nil {
			for _, done := range binds[:i] {
				if *done.ln != nil {
					(*done.ln).Close()
				}
			}
			return fmt.Errorf("%s: %w", b.flag, err)
		}
		*b.ln, *b.bound = ln, ln.Addr().String()
	}
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
