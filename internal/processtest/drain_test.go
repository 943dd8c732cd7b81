package processtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDrainRefusesNothing sends SIGTERM to a server under load
// with the default shutdown delay (5 s). For the delay it must report not
// ready yet keep accepting and answering new connections — clients that
// have not yet seen it leave see no refused connection — and then drain
// and exit with status 0.
func TestSIGTERMDrainRefusesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server: not in -short")
	}
	s := start(t)
	const (
		workers   = 8
		before    = 500 * time.Millisecond // load before the signal
		during    = 4 * time.Second        // load after it: inside the 5 s delay
		deadlineT = 30 * time.Second
	)
	var ok, refused, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			// A new connection for every request: what a client pool that
			// has not seen the server leave does when it scales up.
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				switch err := inferOne(c, s.http); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, syscall.ECONNREFUSED):
					refused.Add(1)
				default:
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	time.Sleep(before)
	beforeSignal := ok.Load()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	notReadyAfter := waitNotReady(t, s.http, during)
	time.Sleep(during - notReadyAfter)
	close(stop)
	wg.Wait()

	if err := s.exit(t, deadlineT); err != nil {
		t.Errorf("server exit after SIGTERM: %v, want status 0", err)
	}
	t.Logf("SIGTERM under load, %d workers, a new connection per request: %d answered before it, %d during the %v after it (not ready after %v), %d refused, %d failed",
		workers, beforeSignal, ok.Load()-beforeSignal, during, notReadyAfter.Round(time.Millisecond), refused.Load(), failed.Load())
	if refused.Load() != 0 || failed.Load() != 0 {
		t.Fatalf("%d refused connections and %d failed requests during the shutdown delay (first: %v)", refused.Load(), failed.Load(), firstErr.Load())
	}
	if ok.Load() == beforeSignal {
		t.Fatal("no request was answered after SIGTERM: the server stopped accepting at once")
	}
}

// inferOne sends one digit to the CNN and checks the answer is 200.
func inferOne(c *http.Client, addr string) error {
	body := bytes.NewReader(jsonZeros(1))
	resp, err := c.Post("http://"+addr+"/v2/models/digits/infer", "application/json", body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// waitNotReady polls readiness until it fails and returns how long that
// took; the test fails if it stays ready for within.
func waitNotReady(t *testing.T, addr string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v2/health/ready", nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				return time.Since(start)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("still ready %v after SIGTERM", within)
	return 0
}
