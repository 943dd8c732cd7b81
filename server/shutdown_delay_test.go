package server_test

import (
	"net/http"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/inferd/inferd/server"
)

// During the shutdown delay the server reports not ready but serves new
// connections (HTTP predict 200, gRPC health NOT_SERVING); after it, the
// server drains and stops, and connections are refused.
func TestShutdownDelay(t *testing.T) {
	const delay = 4 * time.Second // long enough for the checks on a loaded machine (1.5 s failed once)
	r := serveFake(t, server.WithShutdownDelay(delay))
	url := "http://" + r.httpAddr
	if code, _, err := request(t, nil, http.MethodGet, url+"/readyz", ""); err != nil || code != 200 {
		t.Fatalf("readyz before shutdown: %d %v", code, err)
	}
	start := time.Now()
	r.cancel()
	checks := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/readyz", http.StatusServiceUnavailable},
		{http.MethodGet, "/v2/health/ready", http.StatusServiceUnavailable},
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodPost, "/v2/models/m/infer", http.StatusOK},
	}
	for _, c := range checks {
		code, _, err := request(t, nil, c.method, url+c.path, "")
		if err != nil || code != c.want {
			t.Errorf("%s %s during the delay: %d %v, want %d", c.method, c.path, code, err, c.want)
		}
	}
	if st, err := grpcHealth(t, r.grpcAddr, nil); err != nil || st != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health during the delay: %v %v, want NOT_SERVING", st, err)
	}
	if time.Since(start) >= delay {
		t.Fatalf("the checks took %v, longer than the delay: raise it", time.Since(start))
	}
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		t.Fatalf("Serve returned during the delay, after %v: %v", time.Since(start), err)
	case <-time.After(delay - time.Since(start) - 200*time.Millisecond):
	}
	select {
	case err := <-r.done:
		r.done <- err
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		if stopped := time.Since(start); stopped < delay {
			t.Errorf("stopped after %v, before the delay", stopped)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the delay")
	}
	checkRefused(t, r.httpAddr, "HTTP connection accepted after the delay")
	checkRefused(t, r.grpcAddr, "gRPC connection accepted after the delay")
}
