package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/server"
)

// A TCP connection to the gRPC port that never sends the HTTP/2 preface
// is closed within the connection timeout.
func TestGRPCPrefaceTimeout(t *testing.T) {
	r := serveFake(t, server.WithGRPCConnectionTimeout(300*time.Millisecond))
	conn, err := net.Dial("tcp", r.grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.Copy(io.Discard, conn) // the server's settings, then EOF
	elapsed := time.Since(start)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection was still open after 5s")
	}
	if elapsed > 2*time.Second {
		t.Errorf("closed after %v, want about 300ms", elapsed)
	}
	t.Logf("silent connection closed after %v", elapsed.Round(time.Millisecond))
}

// A request body trickled slower than the read timeout allows is cut.
func TestReadTimeoutCutsTrickledBody(t *testing.T) {
	r := serveFake(t, server.WithHTTPTimeouts(500*time.Millisecond, 0, 0))
	conn, err := net.Dial("tcp", r.httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := inferBody + strings.Repeat(" ", 200)
	fmt.Fprintf(conn, "POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	start := time.Now()
	answered := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- "closed: " + err.Error()
			return
		}
		resp.Body.Close()
		answered <- resp.Status
	}()
	// One byte every 50ms: the whole body would take over 13s.
	for i := 0; i < len(body); i++ {
		select {
		case got := <-answered:
			elapsed := time.Since(start)
			if !strings.HasPrefix(got, "408") || elapsed > 3*time.Second {
				t.Fatalf("after %v: %s, want 408 after about 500ms", elapsed, got)
			}
			t.Logf("trickled body cut after %v (%d of %d bytes): %s", elapsed.Round(time.Millisecond), i, len(body), got)
			return
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{body[i]}); err != nil {
			t.Logf("trickled body cut after %v: write: %v", time.Since(start).Round(time.Millisecond), err)
			return
		}
	}
	t.Fatal("the whole trickled body was read")
}

// The per-client rate limit answers 429 with Retry-After past the burst,
// per client, and never limits probes; gRPC gets RESOURCE_EXHAUSTED.
func TestRateLimit(t *testing.T) {
	r := serveFake(t, server.WithRateLimit(0.5, 2, server.RateKeyClient))
	url := "http://" + r.httpAddr
	steps := []struct {
		method, path, client string
		want                 int
	}{
		{http.MethodPost, "/v2/models/m/infer", "a", 200},
		{http.MethodPost, "/v2/models/m/infer", "a", 200},
		{http.MethodPost, "/v2/models/m/infer", "a", 429},
		{http.MethodGet, "/v2/models/m", "a", 429}, // every route counts
		{http.MethodPost, "/v2/models/m/infer", "b", 200},
		{http.MethodGet, "/healthz", "a", 200}, // probes never
		{http.MethodGet, "/readyz", "a", 200},
		{http.MethodGet, "/v2/health/ready", "a", 200},
		{http.MethodPost, "/v2/models/m/infer", "", 200}, // by address
		{http.MethodPost, "/v2/models/m/infer", "", 200},
		{http.MethodPost, "/v2/models/m/infer", "", 429},
	}
	for i, s := range steps {
		code, retry, err := request(t, nil, s.method, url+s.path, s.client)
		if err != nil || code != s.want {
			t.Fatalf("step %d, %s %s as %q: %d %v, want %d", i, s.method, s.path, s.client, code, err, s.want)
		}
		if (code == 429) != (retry != "") {
			t.Errorf("step %d: %d with Retry-After %q", i, code, retry)
		}
		if code == 429 && retry != "2" { // one token at 0.5/s
			t.Errorf("step %d: Retry-After %q, want 2", i, retry)
		}
	}
	conn, err := grpc.NewClient(r.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "inferd-client-id", "a")
	var header metadata.MD
	_, err = v2.NewGRPCInferenceServiceClient(conn).ModelMetadata(ctx, &v2.ModelMetadataRequest{Name: "m"}, grpc.Header(&header))
	if status.Code(err) != codes.ResourceExhausted || len(header.Get("retry-after")) == 0 {
		t.Errorf("gRPC over the limit: %v, retry-after %v; want RESOURCE_EXHAUSTED with retry-after", err, header.Get("retry-after"))
	}
}

// Past the in-flight cap, a request gets 429 at once; probes still pass;
// once the request in flight ends, requests are served again.
func TestMaxInflightRequests(t *testing.T) {
	r := serveFake(t, server.WithMaxInflightRequests(1))
	url := "http://" + r.httpAddr
	pw, first := holdRequest(t, url+"/v2/models/m/infer")
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-first: // refused: a request below held the slot when it came
			pw.Close()
			pw, first = holdRequest(t, url+"/v2/models/m/infer")
		default:
		}
		code, retry, err := request(t, nil, http.MethodPost, url+"/v2/models/m/infer", "")
		if err != nil {
			t.Fatal(err)
		}
		if code == http.StatusTooManyRequests { // only the held request can have the slot
			if retry != "1" {
				t.Errorf("Retry-After %q, want 1", retry)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 429 with a request in flight: %d", code)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _, err := request(t, nil, http.MethodGet, url+"/readyz", ""); err != nil || code != 200 {
		t.Errorf("readyz at the cap: %d %v", code, err)
	}
	_, _ = pw.Write([]byte(inferBody[10:]))
	pw.Close()
	if code := <-first; code != 200 {
		t.Fatalf("the request in flight: %d", code)
	}
	if code, _, err := request(t, nil, http.MethodPost, url+"/v2/models/m/infer", ""); err != nil || code != 200 {
		t.Errorf("after the request in flight: %d %v", code, err)
	}
}

// holdRequest starts an inference request whose body stops after its
// first 10 bytes, so that the server holds it (and its share of the
// in-flight cap) until the rest is written to pw; first gets its status
// (0 on a transport error).
func holdRequest(t *testing.T, url string) (pw *io.PipeWriter, first chan int) {
	t.Helper()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, url, pr)
	req.ContentLength = int64(len(inferBody))
	first = make(chan int, 1)
	go func() {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := client.Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	_, _ = pw.Write([]byte(inferBody[:10])) // the headers are sent before the body
	return pw, first
}
