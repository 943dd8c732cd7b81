package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pngInput is a request body the seed target sends as image/png.
var pngInput = Input{Name: "x.png", Data: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake")}

// seedTarget returns a seed-route target for a test server's handler.
func seedTarget(t *testing.T, h http.HandlerFunc) Target {
	t.Helper()
	srv := httptest.NewServer(h) // on 127.0.0.1
	t.Cleanup(srv.Close)
	return targetFor(t, srv.URL)
}

func targetFor(t *testing.T, url string) Target {
	t.Helper()
	tg, err := NewTarget(context.Background(), TargetConfig{URL: url, Protocol: Seed, Model: "m", Inputs: []Input{pngInput}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

func ok(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, `{"predictions": []}`) }

func TestClosedLoopRequests(t *testing.T) {
	for _, tc := range []struct{ conc, requests int }{{1, 25}, {4, 50}, {8, 3}} {
		t.Run(fmt.Sprintf("c%d_n%d", tc.conc, tc.requests), func(t *testing.T) {
			var (
				got      atomic.Int64
				inflight atomic.Int64
				peak     atomic.Int64
			)
			tg := seedTarget(t, func(w http.ResponseWriter, r *http.Request) {
				n := inflight.Add(1)
				defer inflight.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				if r.URL.Path != "/models/m" || r.Header.Get("Content-Type") != "image/png" {
					http.Error(w, "wrong request "+r.URL.Path+" "+r.Header.Get("Content-Type"), 400)
					return
				}
				got.Add(1)
				time.Sleep(time.Millisecond)
				ok(w, r)
			})
			res, err := Run(context.Background(), tg, Config{Concurrency: tc.conc, Requests: tc.requests})
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != "closed" || res.Concurrency != tc.conc || res.Sent != int64(tc.requests) || res.OK != int64(tc.requests) || res.Failed != 0 {
				t.Fatalf("result %+v, want %d OK", res, tc.requests)
			}
			if got.Load() != int64(tc.requests) || peak.Load() > int64(tc.conc) {
				t.Errorf("server saw %d requests with up to %d at once; want %d with at most %d", got.Load(), peak.Load(), tc.requests, tc.conc)
			}
			l := res.Latency
			if l.Count != int64(tc.requests) || l.P50 < time.Millisecond || l.P50 > l.P99 || l.P99 > l.Max || res.Throughput <= 0 {
				t.Errorf("latency %+v, throughput %v", l, res.Throughput)
			}
			if res.Server != nil || res.Errors != nil {
				t.Errorf("server timing %+v, errors %v; want none", res.Server, res.Errors)
			}
		})
	}
}

func TestClosedLoopDuration(t *testing.T) {
	tg := seedTarget(t, ok)
	start := time.Now()
	res, err := Run(context.Background(), tg, Config{Concurrency: 2, Duration: 150 * time.Millisecond, Warmup: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Elapsed < 150*time.Millisecond || time.Since(start) > 5*time.Second || res.OK == 0 || res.Failed != 0 {
		t.Errorf("elapsed %v (total %v), %d OK, %d failed", res.Elapsed, time.Since(start), res.OK, res.Failed)
	}
}

// Failures are counted by status with the first message of each; a 429
// is a failure like any other.
func TestErrorsByStatus(t *testing.T) {
	var n atomic.Int64
	tg := seedTarget(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 5 {
		case 0, 1:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintln(w, `{"error": "queue of model m is full"}`)
		case 2:
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			ok(w, r)
		}
	})
	res, err := Run(context.Background(), tg, Config{Concurrency: 3, Requests: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 20 || res.Failed != 30 || res.Errors["429"] != 20 || res.Errors["500"] != 10 || len(res.Errors) != 2 {
		t.Fatalf("OK %d failed %d errors %v; want 20 OK, 20 429s and 10 500s", res.OK, res.Failed, res.Errors)
	}
	if res.ErrorMessages["429"] != "queue of model m is full" || res.ErrorMessages["500"] != "boom" {
		t.Errorf("messages %q", res.ErrorMessages)
	}
	if res.Latency.Count != 20 || res.FailedLatency.Count != 30 {
		t.Errorf("latency counts %d and %d, want 20 and 30", res.Latency.Count, res.FailedLatency.Count)
	}
}

func TestServerTiming(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		want         *ServerTiming
	}{
		{"reported", "queue=100;compute=250;batch=4", &ServerTiming{Count: 12, MeanBatch: 4}},
		{"without batch", "queue=0;compute=250", &ServerTiming{Count: 12}},
		{"malformed", "queue=fast", nil},
		{"absent", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := seedTarget(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set(TimingHeader, tc.header)
				}
				ok(w, r)
			})
			res, err := Run(context.Background(), tg, Config{Concurrency: 2, Requests: 12})
			if err != nil {
				t.Fatal(err)
			}
			s := res.Server
			if tc.want == nil {
				if s != nil {
					t.Fatalf("server timing %+v, want none", s)
				}
				return
			}
			if s == nil || s.Count != tc.want.Count || s.MeanBatch != tc.want.MeanBatch || s.Compute.P50 != 250*time.Microsecond || s.Compute.Max != 250*time.Microsecond {
				t.Fatalf("server timing %+v, want %+v with compute 250µs", s, tc.want)
			}
			if wantQ := map[bool]time.Duration{true: 100 * time.Microsecond, false: 0}[tc.name == "reported"]; s.Queue.P50 != wantQ {
				t.Errorf("queue p50 %v, want %v", s.Queue.P50, wantQ)
			}
		})
	}
}

// slowServer serves one request at a time, each taking at least d.
func slowServer(t *testing.T, d time.Duration) Target {
	var mu sync.Mutex
	return seedTarget(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		time.Sleep(d)
		ok(w, r)
	})
}

// Open loop against a server slower than the rate: each request's latency
// counts from its scheduled time, so the queue that builds up in front of
// the server shows, where a closed loop sees only the service time.
func TestOpenLoopCorrection(t *testing.T) {
	const (
		service  = 20 * time.Millisecond
		interval = 5 * time.Millisecond // rate 200/s
		n        = 10
	)
	tg := slowServer(t, service)
	closed, err := Run(context.Background(), tg, Config{Concurrency: 1, Requests: n})
	if err != nil {
		t.Fatal(err)
	}
	open, err := Run(context.Background(), tg, Config{Concurrency: 1, Rate: float64(time.Second / interval), Requests: n})
	if err != nil {
		t.Fatal(err)
	}
	if open.Mode != "open" || open.OK != n || closed.OK != n {
		t.Fatalf("open %+v closed %+v", open, closed)
	}
	// Request i, due at i*interval, cannot be answered before
	// (i+1)*service: the last one waited at least this long.
	floor := service + (n-1)*(service-interval)
	if open.Latency.Max < floor-time.Millisecond {
		t.Errorf("open-loop max latency %v, want at least %v (coordinated omission not corrected)", open.Latency.Max, floor)
	}
	if open.Latency.P50 < 3*service {
		t.Errorf("open-loop p50 %v, want over %v", open.Latency.P50, 3*service)
	}
	if closed.Latency.P50 < service || closed.Latency.P50 > 5*service {
		t.Errorf("closed-loop p50 %v, want about the service time %v", closed.Latency.P50, service)
	}

	// Bounded by time instead: what the busy worker could not send is
	// counted, not measured.
	res, err := Run(context.Background(), tg, Config{Concurrency: 1, Rate: float64(time.Second / interval), Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	due := int64(200 * time.Millisecond / interval)
	if res.Sent > 1+int64(200*time.Millisecond/service) || res.Unsent < due/2 || res.Sent+res.Unsent > due+1 {
		t.Errorf("sent %d, unsent %d of %d due", res.Sent, res.Unsent, due)
	}
}

// Against a fast server the open loop keeps to its schedule: it takes as
// long as the schedule and its latencies stay those of the server.
func TestOpenLoopRate(t *testing.T) {
	tg := seedTarget(t, ok)
	res, err := Run(context.Background(), tg, Config{Concurrency: 4, Rate: 400, Requests: 40})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 40 || res.Unsent != 0 || res.Rate != 400 {
		t.Fatalf("result %+v", res)
	}
	if res.Elapsed < 39*time.Second/400 {
		t.Errorf("40 requests at 400/s took %v, want at least %v", res.Elapsed, 39*time.Second/400)
	}
	if res.Latency.P50 > 50*time.Millisecond {
		t.Errorf("p50 %v against an idle server", res.Latency.P50)
	}
}

func TestTimeoutAndTransport(t *testing.T) {
	stuck := seedTarget(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	res, err := Run(context.Background(), stuck, Config{Concurrency: 1, Requests: 3, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors[StatusTimeout] != 3 || res.FailedLatency.Max > 2*time.Second {
		t.Errorf("errors %v, failure latency %+v; want 3 timeouts after 50ms", res.Errors, res.FailedLatency)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	res, err = Run(context.Background(), targetFor(t, "http://"+addr), Config{Concurrency: 2, Requests: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors[StatusTransport] != 4 || !strings.Contains(res.ErrorMessages[StatusTransport], "refused") {
		t.Errorf("errors %v %q; want 4 refused connections", res.Errors, res.ErrorMessages)
	}
}

// Canceling the context stops a run at once with what it measured.
func TestCancel(t *testing.T) {
	tg := seedTarget(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
		ok(w, r)
	})
	for _, rate := range []float64{0, 500} {
		t.Run(fmt.Sprint("rate", rate), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel()
			start := time.Now()
			res, err := Run(ctx, tg, Config{Concurrency: 4, Rate: rate, Duration: time.Minute})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v, want the context's", err)
			}
			if time.Since(start) > 5*time.Second || res == nil || res.OK == 0 || res.Errors[StatusCanceled] != 0 {
				t.Fatalf("took %v, result %+v", time.Since(start), res)
			}
		})
	}
}

func TestSweepAndProgress(t *testing.T) {
	tg := seedTarget(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond)
		ok(w, r)
	})
	var (
		mu      sync.Mutex
		reports []Progress
	)
	cfg := Config{Duration: 120 * time.Millisecond, Warmup: 40 * time.Millisecond, ProgressInterval: 20 * time.Millisecond,
		Progress: func(p Progress) { mu.Lock(); reports = append(reports, p); mu.Unlock() }}
	results, err := Sweep(context.Background(), tg, cfg, []int{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Concurrency != 1 || results[1].Concurrency != 3 || results[0].OK == 0 || results[1].OK == 0 {
		t.Fatalf("results %+v", results)
	}
	mu.Lock()
	defer mu.Unlock()
	var warm, run3 int
	for _, p := range reports {
		if p.Warmup {
			warm++
		} else if p.Concurrency == 3 && p.OK > 0 && p.Rate > 0 {
			run3++
		}
	}
	if warm == 0 || run3 == 0 {
		t.Errorf("progress reports %+v: want some from the warm-ups and from the run at concurrency 3", reports)
	}
	if _, err := Sweep(context.Background(), tg, cfg, []int{1, 0}); err == nil || !strings.Contains(err.Error(), "concurrency 0") {
		t.Errorf("Sweep with concurrency 0: %v", err)
	}
	if _, err := Sweep(context.Background(), tg, cfg, nil); err == nil {
		t.Error("Sweep with no concurrency: no error")
	}
}

func TestConfigErrors(t *testing.T) {
	tg := seedTarget(t, ok)
	for _, tc := range []struct {
		name string
		c    Config
		err  string
	}{
		{"unbounded", Config{Concurrency: 1}, "unbounded run"},
		{"negative concurrency", Config{Concurrency: -1, Requests: 1}, "concurrency -1"},
		{"negative rate", Config{Rate: -5, Requests: 1}, "rate -5"},
		{"negative duration", Config{Duration: -time.Second}, "must not be negative"},
		{"negative requests", Config{Requests: -1}, "requests -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Run(context.Background(), tg, tc.c); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}
