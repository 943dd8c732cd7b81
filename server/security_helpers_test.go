package server_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
)

// running is a server serving the fake repository on loopback HTTP and
// gRPC listeners.
type running struct {
	httpAddr, grpcAddr string
	cancel             context.CancelFunc
	done               chan error
}

// serveFake serves servertest.FakeRepository with opts until the test
// ends (or cancel).
func serveFake(t *testing.T, opts ...server.Option) *running {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	models := serving.New(serving.WithLogger(log))
	if err := models.Load(context.Background(), servertest.FakeRepository()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close() })
	srv := server.New(models, append([]server.Option{server.WithLogger(log), server.WithDrainTimeout(5 * time.Second)}, opts...)...)
	hln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{httpAddr: hln.Addr().String(), grpcAddr: gln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.ServeListeners(ctx, hln, gln) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// inferBody is a v2 request for the fake model m.
const inferBody = `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`

// request sends one request on a new connection (no keep-alive) with
// client (nil: plain HTTP) and returns the status and Retry-After.
func request(t *testing.T, client *http.Client, method, url, clientID string) (int, string, error) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(inferBody)
	}
	req, _ := http.NewRequest(method, url, body)
	if clientID != "" {
		req.Header.Set(server.ClientHeader, clientID)
	}
	if client == nil {
		client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// grpcHealth calls the gRPC health service once on a new connection
// (creds nil: plain text).
func grpcHealth(t *testing.T, addr string, creds credentials.TransportCredentials) (healthpb.HealthCheckResponse_ServingStatus, error) {
	t.Helper()
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return 0, err
	}
	return resp.Status, nil
}

// peerSerial is the serial number of the certificate the TLS server at
// addr presents on a new connection.
func peerSerial(t *testing.T, addr string, cfg *tls.Config) int64 {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}
