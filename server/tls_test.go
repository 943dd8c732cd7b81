package server_test

import (
	"crypto/tls"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/inferd/inferd/internal/tlsreload"
	"github.com/inferd/inferd/internal/tlsreload/tlstest"
	"github.com/inferd/inferd/server"
)

// TLS and mutual TLS over real loopback HTTP and gRPC connections: a
// client trusting the CA is served; under mTLS, only with a certificate
// the client CA signed.
func TestTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "server-ca")
	clientCA := tlstest.NewCA(t, "client-ca")
	otherCA := tlstest.NewCA(t, "other-ca")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca.Server(t, certFile, keyFile, 1)
	good, stranger := clientCA.Client(t, "good"), otherCA.Client(t, "stranger")

	tests := []struct {
		name     string
		clientCA string            // "" : TLS without client certificates
		certs    []tls.Certificate // the client's
		ok       bool
	}{
		{name: "tls", ok: true},
		{name: "tls, a client certificate is ignored", certs: []tls.Certificate{stranger}, ok: true},
		{name: "mtls, client certificate", clientCA: clientCA.File, certs: []tls.Certificate{good}, ok: true},
		{name: "mtls, no client certificate", clientCA: clientCA.File},
		{name: "mtls, certificate of another CA", clientCA: clientCA.File, certs: []tls.Certificate{stranger}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tlsreload.Files{Cert: certFile, Key: keyFile, ClientCA: tt.clientCA}.Config()
			if err != nil {
				t.Fatal(err)
			}
			r := serveFake(t, server.WithTLSConfig(cfg))
			client := &tls.Config{RootCAs: ca.Pool(), Certificates: tt.certs, ServerName: "localhost"}
			hc := &http.Client{Transport: &http.Transport{TLSClientConfig: client, DisableKeepAlives: true}, Timeout: 5 * time.Second}
			code, _, err := request(t, hc, http.MethodPost, "https://"+r.httpAddr+"/v2/models/m/infer", "")
			if tt.ok && (err != nil || code != http.StatusOK) {
				t.Errorf("HTTPS predict: %d %v, want 200", code, err)
			}
			if !tt.ok && err == nil {
				t.Errorf("HTTPS predict: %d, want the handshake refused", code)
			}
			st, err := grpcHealth(t, r.grpcAddr, credentials.NewTLS(client))
			if tt.ok && (err != nil || st != healthpb.HealthCheckResponse_SERVING) {
				t.Errorf("gRPC over TLS: %v %v, want SERVING", st, err)
			}
			if !tt.ok && err == nil {
				t.Errorf("gRPC over TLS: %v, want the handshake refused", st)
			}
			checkPlainRefused(t, r)
		})
	}
}

// checkPlainRefused checks that plain text to the TLS listeners is never
// served.
func checkPlainRefused(t *testing.T, r *running) {
	t.Helper()
	if code, _, err := request(t, nil, http.MethodGet, "http://"+r.httpAddr+"/healthz", ""); err == nil && code == http.StatusOK {
		t.Error("plain HTTP was served by the TLS listener")
	}
	if _, err := grpcHealth(t, r.grpcAddr, nil); err == nil {
		t.Error("plain-text gRPC was served by the TLS listener")
	}
}

// A rotated certificate is served by both listeners within the reload
// interval, without a restart.
func TestTLSRotation(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca.Server(t, certFile, keyFile, 100)
	reloader, err := tlsreload.New(certFile, keyFile, tlsreload.WithInterval(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := tlsreload.ServerConfig(reloader, "")
	if err != nil {
		t.Fatal(err)
	}
	r := serveFake(t, server.WithTLSConfig(cfg))
	client := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
	grpcClient := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", NextProtos: []string{"h2"}}
	for _, addr := range []string{r.httpAddr, r.grpcAddr} {
		if got := peerSerial(t, addr, grpcClient); got != 100 {
			t.Fatalf("%s: serial %d, want 100", addr, got)
		}
	}
	ca.Server(t, certFile, keyFile, 101)
	start := time.Now()
	for _, addr := range []string{r.httpAddr, r.grpcAddr} {
		for peerSerial(t, addr, grpcClient) != 101 {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("%s: the rotated certificate was not served within 5s", addr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Logf("rotated certificate served by both listeners after %v", time.Since(start).Round(time.Millisecond))
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: client, DisableKeepAlives: true}, Timeout: 5 * time.Second}
	if code, _, err := request(t, hc, http.MethodPost, "https://"+r.httpAddr+"/v2/models/m/infer", ""); err != nil || code != http.StatusOK {
		t.Errorf("predict after the rotation: %d %v", code, err)
	}
}
