package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/drift"
	"github.com/inferd/inferd/monitor/sqlstore"
)

// monitorOptions are serve's payload capture flags.
type monitorOptions struct {
	dataDir  string
	store    string
	sample   float64
	queue    int
	queueMem int64
	maxAge   time.Duration
	maxBytes int64
	events   string
	drift    driftFlags
}

// driftFlags are the drift window flags of serve and inferd drift.
type driftFlags struct {
	window     int
	span       time.Duration
	level      float64
	correction string
}

func (d *driftFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&d.window, "drift-window", 200, "requests in a drift window (a version's profile.json is calibrated for one window size)")
	fs.DurationVar(&d.span, "drift-span", time.Hour, "also close a drift window this long after its first request, once it has 50 requests")
	fs.Float64Var(&d.level, "drift-level", 0.05, "per-feature test level after the multiple-testing correction")
	fs.StringVar(&d.correction, "drift-correction", drift.CorrectionFDR, "multiple-testing correction: fdr (Benjamini-Hochberg) or bonferroni")
}

func (d *driftFlags) config() (drift.Config, error) {
	cfg := drift.Config{Level: d.level, Correction: d.correction}
	if d.window < 10 {
		return cfg, fmt.Errorf("--drift-window must be at least 10")
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("--drift-level, --drift-correction: %w", err)
	}
	return cfg, nil
}

func (o *monitorOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.dataDir, "data-dir", "", "directory for the server's own data: captured requests and feedback go to monitor.db (SQLite) in it. With it or --capture-store, payload capture and POST /models/{name}/feedback are on")
	fs.StringVar(&o.store, "capture-store", "", "store captured requests and feedback in PostgreSQL instead (a postgres:// DSN), shared by a fleet of replicas so that a label sent to one joins a request served by another")
	fs.Float64Var(&o.sample, "capture-sample", 0, "share of requests captured (0 to 1) for models whose config.yaml sets no monitoring.sample_rate")
	fs.IntVar(&o.queue, "capture-queue", monitor.DefaultQueueSize, "captured requests waiting to be written, past which new ones are dropped (and counted in inferd_monitor_capture_dropped_total) rather than slow a request")
	fs.Int64Var(&o.queueMem, "capture-queue-bytes", monitor.DefaultQueueBytes, "payload bytes (encoded tensors and images) of the captured requests waiting to be written, past which new ones are dropped (and counted)")
	fs.DurationVar(&o.maxAge, "capture-max-age", 30*24*time.Hour, "delete captured requests and labels older than this; 0 keeps them")
	fs.Int64Var(&o.maxBytes, "capture-max-bytes", 1<<30, "delete the oldest captured requests once their payload exceeds this many bytes; 0 for no limit")
	fs.StringVar(&o.events, "capture-cloudevents", "", "also send every captured request to this URL as CloudEvents of KServe's payload logger (org.kubeflow.serving.inference.request and .response, sharing the ce-id), e.g. a Knative broker")
	o.drift.register(fs)
}

// watchDrift starts the drift watcher over the store for the versions
// that have a profile.json in the repository (a directory or object
// storage); it stops with ctx.
func (o *monitorOptions) watchDrift(ctx context.Context, store monitor.Store, repo drift.ModelFiles, log *slog.Logger, reg prometheus.Registerer) (*drift.Watcher, error) {
	cfg, err := o.drift.config()
	if err != nil {
		return nil, err
	}
	w, err := drift.NewWatcher(store, repo, reg)
	if err != nil {
		return nil, err
	}
	w.Window, w.Span, w.Config, w.Log = o.drift.window, o.drift.span, cfg, log
	go func() { _ = w.Run(ctx) }()
	return w, nil
}

// open returns the monitor the flags describe and its store, or nil when
// capture is off.
func (o *monitorOptions) open(ctx context.Context, log *slog.Logger, reg prometheus.Registerer) (*monitor.Monitor, monitor.Store, error) {
	if o.dataDir == "" && o.store == "" {
		if o.sample > 0 {
			return nil, nil, fmt.Errorf("--capture-sample needs a store: --data-dir or --capture-store")
		}
		return nil, nil, nil
	}
	if o.maxAge < 0 || o.maxBytes < 0 || o.sample < 0 || o.sample > 1 {
		return nil, nil, fmt.Errorf("--capture-max-age and --capture-max-bytes must not be negative, --capture-sample must be between 0 and 1")
	}
	if u, err := url.Parse(o.events); o.events != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return nil, nil, fmt.Errorf("--capture-cloudevents: %q is not an http(s) URL", o.events)
	}
	store, err := openStore(ctx, o.dataDir, o.store)
	if err != nil {
		return nil, nil, err
	}
	opts := []monitor.Option{monitor.WithSampleRate(o.sample), monitor.WithQueueSize(o.queue), monitor.WithQueueBytes(o.queueMem),
		monitor.WithRetention(monitor.Retention{MaxAge: o.maxAge, MaxBytes: o.maxBytes}, monitor.DefaultRetainInterval),
		monitor.WithLogger(log), monitor.WithRegisterer(reg)}
	if o.events != "" {
		opts = append(opts, monitor.WithCloudEvents(&monitor.CloudEvents{URL: o.events, Source: "inferd",
			Client: &http.Client{Timeout: 10 * time.Second}}))
	}
	m, err := monitor.New(store, opts...)
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("--capture-sample, --capture-queue: %w", err)
	}
	return m, store, nil
}

// openStore opens the PostgreSQL store of dsn, else the SQLite store in
// dataDir.
func openStore(ctx context.Context, dataDir, dsn string) (*sqlstore.Store, error) {
	if dsn != "" {
		if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
			return nil, fmt.Errorf("--capture-store: want a postgres:// DSN")
		}
		s, err := sqlstore.OpenPostgres(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("--capture-store: %w", err)
		}
		return s, nil
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("--data-dir: %w", err)
	}
	s, err := sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, "monitor.db"))
	if err != nil {
		return nil, fmt.Errorf("--data-dir: %w", err)
	}
	return s, nil
}
