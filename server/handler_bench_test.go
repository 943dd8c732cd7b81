package server_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
)

// discardWriter is a ResponseWriter that keeps the status and drops the
// body, reused across requests.
type discardWriter struct {
	header http.Header
	code   int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkSeedHandler is the server's own work for one seed tensor
// request of the fake model, in process (no connection, no model to
// speak of): what the HTTP path costs per request beyond net/http and
// the engine, with its allocations.
func BenchmarkSeedHandler(b *testing.B) {
	in := servertest.StartSource(b, servertest.FakeRepository())
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h := server.New(in.Models, server.WithLogger(log)).Handler()
	body := []byte(`{"inputs": {"x": [[1, 2], [3, 4]]}}`)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		r, _ := http.NewRequest(http.MethodPost, "/models/m/1", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK && w.code != 0 {
			b.Fatalf("status %d", w.code)
		}
	}
}
