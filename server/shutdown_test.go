package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/serving"
)

// Requests in flight when shutdown starts finish successfully; new
// connections are refused; Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	models := serving.New(serving.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err := models.LoadRepository(context.Background(), testutil.ExamplesDir()); err != nil {
		t.Fatal(err)
	}
	defer models.Close()
	srv := server.New(models, server.WithDrainTimeout(20*time.Second))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/models/digits/v1"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()

	png := sample(t, "4_0.png")
	const inflight = 8
	var (
		wg      sync.WaitGroup
		writers []*io.PipeWriter
		codes   = make([]int, inflight)
		labels  = make([]string, inflight)
		started = make(chan struct{}, inflight)
	)
	for i := range inflight {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		req, _ := http.NewRequest(http.MethodPost, url, pr)
		req.Header.Set("Content-Type", "image/png")
		req.ContentLength = int64(len(png))
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			codes[i] = resp.StatusCode
			labels[i] = string(b)
		}()
		// Send half the image so the handler is running, reading the body.
		go func() {
			pw.Write(png[:len(png)/2])
			started <- struct{}{}
		}()
	}
	for range inflight {
		<-started
	}
	time.Sleep(100 * time.Millisecond) // let the handlers block on their bodies
	cancel()                           // shutdown begins with requests in flight
	// Serve must not return while the requests are unfinished.
	select {
	case err := <-done:
		t.Fatalf("Serve returned with requests in flight: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	// New connections are refused once shutdown has begun.
	if conn, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		conn.Close()
		t.Error("a new connection was accepted during shutdown")
	}
	for _, pw := range writers {
		pw.Write(png[len(png)/2:])
		pw.Close()
	}
	wg.Wait()
	for i := range inflight {
		if codes[i] != 200 || !strings.Contains(labels[i], `"label":"4"`) {
			t.Errorf("in-flight request %d: %d %s", i, codes[i], labels[i])
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the requests finished")
	}
}
