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
	reqs := startHalfSent(t, url, png, 8)
	time.Sleep(100 * time.Millisecond) // let the handlers block on their bodies
	cancel()                           // shutdown begins with requests in flight
	// Serve must not return while the requests are unfinished.
	checkStillRunning(t, done, "Serve returned with requests in flight")
	// New connections are refused once shutdown has begun.
	checkRefused(t, ln.Addr().String(), "a new connection was accepted during shutdown")
	reqs.finish(png)
	for i := range reqs.codes {
		if reqs.codes[i] != 200 || !strings.Contains(reqs.labels[i], `"label":"4"`) {
			t.Errorf("in-flight request %d: %d %s", i, reqs.codes[i], reqs.labels[i])
		}
	}
	checkReturns(t, done, "Serve", "Serve did not return after the requests finished")
}

// halfSent are image requests whose bodies are half sent, so that their
// handlers are running, reading the rest.
type halfSent struct {
	wg      sync.WaitGroup
	writers []*io.PipeWriter
	codes   []int    // status of each answer, once finished
	labels  []string // body of each answer, once finished
}

// startHalfSent posts n requests of png to url and returns once half of
// each body is sent.
func startHalfSent(t *testing.T, url string, png []byte, n int) *halfSent {
	t.Helper()
	h := &halfSent{codes: make([]int, n), labels: make([]string, n)}
	started := make(chan struct{}, n)
	for i := range n {
		pr, pw := io.Pipe()
		h.writers = append(h.writers, pw)
		req, _ := http.NewRequest(http.MethodPost, url, pr)
		req.Header.Set("Content-Type", "image/png")
		req.ContentLength = int64(len(png))
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			h.codes[i] = resp.StatusCode
			h.labels[i] = string(b)
		}()
		// Send half the image so the handler is running, reading the body.
		go func() {
			pw.Write(png[:len(png)/2])
			started <- struct{}{}
		}()
	}
	for range n {
		<-started
	}
	return h
}

// finish sends the rest of png on every request and waits for the answers.
func (h *halfSent) finish(png []byte) {
	for _, pw := range h.writers {
		pw.Write(png[len(png)/2:])
		pw.Close()
	}
	h.wg.Wait()
}

// checkStillRunning fails with msg if a serve loop has returned on done
// within 200ms.
func checkStillRunning(t *testing.T, done <-chan error, msg string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s: %v", msg, err)
	case <-time.After(200 * time.Millisecond):
	}
}

// checkRefused fails with msg if a new TCP connection to addr is accepted.
func checkRefused(t *testing.T, addr, msg string) {
	t.Helper()
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Error(msg)
	}
}

// checkReturns fails unless the serve loop called name returns nil on done
// within 10s; timeout is the message if it does not return.
func checkReturns(t *testing.T, done <-chan error, name, timeout string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal(timeout)
	}
}
