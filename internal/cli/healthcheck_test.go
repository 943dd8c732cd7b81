package cli_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferd/inferd/internal/cli"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/internal/tlsreload/tlstest"
)

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte("ok"))
		case "/readyz":
			http.Error(w, `{"error":"loading"}`, http.StatusServiceUnavailable)
		case "/slow":
			time.Sleep(time.Second)
		case "/ready-empty":
			w.Write([]byte(`{"status":"ready","models_serving":0}`))
		case "/ready-one":
			w.Write([]byte(`{"status":"ready","models_serving":1}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	closed := httptest.NewServer(http.NotFoundHandler())
	closedAddr := strings.TrimPrefix(closed.URL, "http://")
	closed.Close()

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantOut string
		wantErr string
	}{
		{name: "url", args: []string{"--url", srv.URL + "/healthz"}, wantOut: "200 OK"},
		{name: "address", args: []string{"--http-addr", "127.0.0.1:" + port}, wantOut: "http://127.0.0.1:" + port + "/healthz: 200 OK"},
		{name: "all interfaces means loopback", args: []string{"--http-addr", "0.0.0.0:" + port}, wantOut: "http://127.0.0.1:" + port + "/healthz"},
		{name: "empty host", args: []string{"--http-addr", ":" + port}, wantOut: "http://127.0.0.1:" + port + "/healthz"},
		{name: "address from the environment", env: map[string]string{"INFERD_HTTP_ADDR": "0.0.0.0:" + port}, wantOut: "200 OK"},
		{name: "not ready", args: []string{"--http-addr", "127.0.0.1:" + port, "--path", "/readyz"}, wantErr: `503 Service Unavailable {"error":"loading"}`},
		{name: "not found", args: []string{"--url", srv.URL + "/nope"}, wantErr: "404 Not Found"},
		{name: "ready but serving nothing", args: []string{"--url", srv.URL + "/ready-empty", "--min-models", "1"}, wantErr: "0 models serve, want at least 1"},
		{name: "ready and serving", args: []string{"--url", srv.URL + "/ready-one", "--min-models", "1"}, wantOut: "200 OK"},
		{name: "timeout", args: []string{"--url", srv.URL + "/slow", "--timeout", "50ms"}, wantErr: "context deadline exceeded"},
		{name: "nothing listening", args: []string{"--http-addr", closedAddr}, wantErr: "connection refused"},
		{name: "bad address", args: []string{"--http-addr", "nope"}, wantErr: "--http-addr: address nope: missing port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			stdout, _, err := execInferd(t, append([]string{"healthcheck"}, tt.args...)...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(stdout, tt.wantOut) {
				t.Fatalf("err %v, output %q, want %q", err, stdout, tt.wantOut)
			}
		})
	}
}

func TestHealthcheckIsHidden(t *testing.T) {
	stdout, _, err := execInferd(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout, "healthcheck") || !strings.Contains(stdout, "image") {
		t.Errorf("help:\n%s", stdout)
	}
}

// Over TLS the check accepts only the server certificate it is given, and
// presents its own under mutual TLS.
func TestHealthcheckTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca.Server(t, cert, key, 1)
	otherCert := filepath.Join(dir, "other.crt")
	ca.Server(t, otherCert, filepath.Join(dir, "other.key"), 2)
	clientCert, clientKey := ca.ClientFiles(t, "healthcheck")
	serve := func(mutual bool) string {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
		if mutual {
			srv.TLS.ClientCAs, srv.TLS.ClientAuth = ca.Pool(), tls.RequireAndVerifyClientCert
		}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return strings.TrimPrefix(srv.URL, "https://")
	}
	tlsAddr, mtlsAddr := serve(false), serve(true)
	tests := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{name: "pinned certificate", args: []string{"--http-addr", tlsAddr, "--tls-cert", cert}, wantOut: "https://" + tlsAddr + "/healthz: 200 OK"},
		{name: "another certificate", args: []string{"--http-addr", tlsAddr, "--tls-cert", otherCert}, wantErr: "is not the one in"},
		{name: "plain HTTP to TLS", args: []string{"--http-addr", tlsAddr}, wantErr: "400 Bad Request"},
		{name: "mutual TLS with a client certificate", args: []string{"--http-addr", mtlsAddr, "--tls-cert", cert, "--tls-client-cert", clientCert, "--tls-client-key", clientKey}, wantOut: "200 OK"},
		{name: "mutual TLS without one", args: []string{"--http-addr", mtlsAddr, "--tls-cert", cert}, wantErr: "certificate"},
		{name: "not a certificate", args: []string{"--http-addr", tlsAddr, "--tls-cert", key}, wantErr: "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := execInferd(t, append([]string{"healthcheck"}, tt.args...)...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(stdout, tt.wantOut) {
				t.Fatalf("stdout %q, err %v; want %q", stdout, err, tt.wantOut)
			}
		})
	}
}

// The check follows the address the server's arguments gave, through the
// file serve --addr-file writes (the images set INFERD_ADDR_FILE), even
// when INFERD_HTTP_ADDR names another address; an address on the check's
// command line wins, and the file goes when the server exits.
func TestHealthcheckFollowsAddrFile(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedAddr := strings.TrimPrefix(closed.URL, "http://")
	closed.Close()
	addrFile := filepath.Join(t.TempDir(), "inferd.addr")
	t.Setenv("INFERD_ADDR_FILE", addrFile)
	t.Setenv("INFERD_HTTP_ADDR", closedAddr)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		cmd := cli.NewRootCmd()
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		cmd.SetArgs([]string{"serve", "--repository", testutil.ExamplesCopy(t), "--http-addr", "127.0.0.1:0", "--grpc-addr", "",
			"--shutdown-delay", "0s", "--log-level", "error"})
		done <- cmd.ExecuteContext(ctx)
	}()
	for i := 0; ; i++ {
		if _, err := os.Stat(addrFile); err == nil {
			break
		}
		if i == 300 {
			t.Fatal("serve wrote no --addr-file within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _, err := execInferd(t, "healthcheck")
	if err != nil || !strings.Contains(out, "/healthz: 200 OK") || strings.Contains(out, closedAddr) {
		t.Fatalf("healthcheck with the server's address file: %v %q", err, out)
	}
	if _, _, err := execInferd(t, "healthcheck", "--http-addr", closedAddr); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("--http-addr on the command line: err = %v, want the closed address refused", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := os.Stat(addrFile); !os.IsNotExist(err) {
		t.Fatalf("the address file is still there after the server exited: %v", err)
	}
	if _, _, err := execInferd(t, "healthcheck"); err == nil || !strings.Contains(err.Error(), closedAddr) {
		t.Fatalf("without the file the check uses INFERD_HTTP_ADDR: err = %v", err)
	}
}
