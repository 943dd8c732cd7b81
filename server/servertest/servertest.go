// Package servertest runs a real inferd server for tests: a model
// repository loaded with the native engine and served over HTTP and gRPC on
// ephemeral loopback ports until the test ends.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	_ "github.com/inferd/inferd/engine/native" // the engine the examples use
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

// Start loads repo and serves it over HTTP and gRPC until the test ends.
// Logs go to stderr with -v.
func Start(t testing.TB, repo string, opts ...server.Option) *Instance {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	reg := prometheus.NewRegistry()
	models := serving.New(serving.WithLogger(log), serving.WithRegisterer(reg))
	if err := models.LoadRepository(context.Background(), repo); err != nil {
		t.Fatal(err)
	}
	srv := server.New(models, append([]server.Option{
		server.WithLogger(log), server.WithMetrics(reg, reg), server.WithDrainTimeout(10 * time.Second), server.WithVersion("test"),
	}, opts...)...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListeners(ctx, ln, gln) }()
	var (
		stopped bool
		result  error
	)
	in := &Instance{URL: "http://" + ln.Addr().String(), GRPCAddr: gln.Addr().String(), Models: models, Registry: reg}
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
		if err := models.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return in
}
