// Package servertest runs a real inferd server for tests: a model
// repository loaded (with the native engine, or any registered one) and
// served over HTTP and gRPC on ephemeral loopback ports until the test
// ends. It uses the same wiring as `inferd serve` (package app).
package servertest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferd/inferd/app"
	_ "github.com/inferd/inferd/engine/native" // the engine the examples use
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/serving"
)

// Instance is a running server.
type Instance struct {
	// URL is the HTTP base URL, http://127.0.0.1:PORT.
	URL string
	// GRPCAddr is the gRPC address, 127.0.0.1:PORT.
	GRPCAddr string
	Models   *serving.Manager
	Registry *prometheus.Registry
	// Stop shuts the server down (as the end of the test does) and returns
	// what Serve returned; later calls return the same.
	Stop func() error
}

// Start loads the repository directory repo and serves it over HTTP and
// gRPC until the test ends. Logs go to stderr with -v.
func Start(t testing.TB, repo string, opts ...server.Option) *Instance {
	t.Helper()
	return StartConfig(t, app.Config{RepositoryDir: repo, Server: opts})
}

// StartSource serves any repository source, such as repository.NewMemory.
func StartSource(t testing.TB, src repository.Source, opts ...server.Option) *Instance {
	t.Helper()
	return StartConfig(t, app.Config{Repository: src, Server: opts})
}

// StartConfig serves what cfg says, on loopback ports, once the
// repository has loaded. The server's version is "test" unless cfg's
// options set another.
func StartConfig(t testing.TB, cfg app.Config) *Instance {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg.HTTPAddr, cfg.GRPCAddr = "127.0.0.1:0", "127.0.0.1:0"
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 10 * time.Second
	}
	cfg.Server = append([]server.Option{server.WithVersion("test")}, cfg.Server...)
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	if err := a.LoadErr(); err != nil {
		cancel()
		<-done
		t.Fatal(err)
	}
	var (
		stopped bool
		result  error
	)
	in := &Instance{URL: "http://" + a.HTTPAddr, GRPCAddr: a.GRPCAddr, Models: a.Models, Registry: a.Registry}
	in.Stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			result = <-done
		}
		return result
	}
	t.Cleanup(func() {
		if err := in.Stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return in
}
