package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// connCounter is a test server that records the connections requests came
// on.
type connCounter struct {
	mu    sync.Mutex
	conns map[string]int
}

func (c *connCounter) note(r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conns == nil {
		c.conns = map[string]int{}
	}
	c.conns[r.RemoteAddr]++
}

func (c *connCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.conns)
}

func TestRawHTTPConnections(t *testing.T) {
	for _, tc := range []struct {
		name      string
		handler   func(w http.ResponseWriter, r *http.Request)
		between   func(srv *httptest.Server) // after each request
		wantConns func(n int) bool
		want      string
	}{
		{
			name:      "kept alive",
			handler:   ok,
			wantConns: func(n int) bool { return n == 1 },
			want:      "one connection for all requests",
		},
		{
			name: "Connection: close",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Connection", "close")
				ok(w, r)
			},
			wantConns: func(n int) bool { return n == 20 },
			want:      "a connection per request",
		},
		{
			name: "chunked answers",
			handler: func(w http.ResponseWriter, r *http.Request) {
				for range 50 {
					fmt.Fprintln(w, `{"predictions": [], "padding": "`+string(bytes.Repeat([]byte("x"), 1000))+`"}`)
					w.(http.Flusher).Flush()
				}
			},
			wantConns: func(n int) bool { return n == 1 },
			want:      "one connection for all requests",
		},
		{
			name:      "server closes idle connections",
			handler:   ok,
			between:   func(srv *httptest.Server) { srv.CloseClientConnections() },
			wantConns: func(n int) bool { return n >= 2 },
			want:      "a new connection after each close",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cc connCounter
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				cc.note(r)
				tc.handler(w, r)
			}))
			defer srv.Close()
			tg := targetFor(t, srv.URL)
			for i := range 20 {
				if o := tg.Do(context.Background(), i); !o.OK {
					t.Fatalf("request %d: %+v", i, o)
				}
				if tc.between != nil {
					tc.between(srv)
				}
			}
			if n := cc.count(); !tc.wantConns(n) {
				t.Errorf("20 requests came on %d connections; want %s", n, tc.want)
			}
		})
	}
}

// TestRawHTTPRequest checks what the server receives: method, path, host,
// headers and body, for a seed and a v2 binary request.
func TestRawHTTPRequest(t *testing.T) {
	type seen struct {
		method, path, host, ct, headerLen, ua string
		body                                  []byte
		contentLength                         int64
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.Host, r.Header.Get("Content-Type"), r.Header.Get("Inference-Header-Content-Length"), r.Header.Get("User-Agent"), b, r.ContentLength}
		ok(w, r)
	}))
	defer srv.Close()
	host := srv.Listener.Addr().String()
	tg := newHTTPTarget(srv.URL, "/models/m%2Fx/2", 4)
	defer tg.Close()
	tg.add(httpBody{data: pngInput.Data, contentType: "image/png"})
	tg.add(httpBody{data: []byte(`{"inputs":[]}rawbytes`), contentType: "application/octet-stream", headerLen: "13"})
	for i, want := range []seen{
		{"POST", "/models/m/x/2", host, "image/png", "", "inferd-bench", pngInput.Data, int64(len(pngInput.Data))},
		{"POST", "/models/m/x/2", host, "application/octet-stream", "13", "inferd-bench", []byte(`{"inputs":[]}rawbytes`), 21},
	} {
		if o := tg.Do(context.Background(), i); !o.OK {
			t.Fatalf("request %d: %+v", i, o)
		}
		s := <-got
		if fmt.Sprint(s) != fmt.Sprint(want) {
			t.Errorf("request %d: server saw %+v, want %+v", i, s, want)
		}
	}
}

// TestRawHTTPTimeout: a stalled answer times out, and the connection is
// not reused for the next request.
func TestRawHTTPTimeout(t *testing.T) {
	var cc connCounter
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cc.note(r)
		if r.Header.Get("Content-Type") == "image/png" && cc.count() == 1 {
			<-release
		}
		ok(w, r)
	}))
	defer srv.Close()
	defer close(release)
	tg := targetFor(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	o := tg.Do(ctx, 0)
	cancel()
	if o.Status != StatusTimeout {
		t.Fatalf("stalled request: %+v, want status %q", o, StatusTimeout)
	}
	if o := tg.Do(context.Background(), 1); !o.OK {
		t.Fatalf("request after the timeout: %+v", o)
	}
	if n := cc.count(); n != 2 {
		t.Errorf("%d connections; want the timed-out one dropped and a new one", n)
	}
}

// TestRawHTTPServerGone: a server that accepts and hangs up without an
// answer gives a transport error, not a retry loop.
func TestRawHTTPServerGone(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	tg := targetFor(t, "http://"+ln.Addr().String())
	if o := tg.Do(context.Background(), 0); o.Status != StatusTransport {
		t.Fatalf("%+v, want status %q", o, StatusTransport)
	}
}
