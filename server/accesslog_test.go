package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
)

// logBuffer collects JSON log lines; safe for the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the access log lines (msg "request") logged so far.
func (l *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

// line waits for the access log line of a request id.
func (l *logBuffer) line(t *testing.T, id string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, m := range l.lines(t) {
			if m["request_id"] == id {
				return m
			}
		}
	}
	t.Fatalf("no access log line for request %s", id)
	return nil
}

// startLogged serves the fake models with the access log in a buffer.
func startLogged(t *testing.T, opts ...server.Option) (*servertest.Instance, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return servertest.StartSource(t, servertest.FakeRepository(), append([]server.Option{server.WithLogger(log)}, opts...)...), logs
}

// sendID sends a request, with a request id when id is not "".
func sendID(t *testing.T, method, url, id, body string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if id != "" {
		req.Header.Set(server.RequestIDHeader, id)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return send(t, req)
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// One line per HTTP request, with the route's protocol, pattern, model,
// version, status, sizes and ids; the request id is the client's or a new
// one, and comes back in the response.
func TestAccessLogHTTP(t *testing.T) {
	s, logs := startLogged(t)
	const seedBody = `{"inputs": {"x": [[1, 2]]}}`
	tests := []struct {
		name, method, path, id, body string
		header                       []string
		want                         map[string]any
		wantErr                      string
	}{
		{"seed", "POST", "/models/m", "seed-1", seedBody, []string{server.ClientHeader, "alice"},
			map[string]any{"level": "INFO", "method": "POST", "route": "/models/{name}", "protocol": "seed", "model": "m", "version": "2", "status": 200.0, "client_id": "alice", "req_bytes": float64(len(seedBody))}, ""},
		{"v2 REST, generated id", "POST", "/v2/models/m/versions/1/infer", "", `{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}`, nil,
			map[string]any{"method": "POST", "route": "/v2/models/{name}/versions/{version}/infer", "protocol": "v2", "model": "m", "version": "1", "status": 200.0}, ""},
		{"TF Serving", "POST", "/v1/models/m/labels/stable:predict", "tf-1", `{"instances": [[1, 2]]}`, nil,
			map[string]any{"route": "/v1/models/{name}/labels/{label}", "protocol": "tfserving", "model": "m", "version": "1", "status": 200.0}, ""},
		{"bad input", "POST", "/models/m/1", "bad-1", `{"inputs": {"x": [[1, 2, 3]]}}`, nil,
			map[string]any{"level": "INFO", "route": "/models/{name}/{version}", "model": "m", "version": "1", "status": 400.0}, "model expects [-1 2]"},
		{"no route", "GET", "/nowhere", "nowhere-1", "", nil,
			map[string]any{"protocol": "seed", "status": 404.0}, "no route for GET /nowhere"},
		{"bad timeout", "POST", "/models/m", "timeout-1", seedBody, []string{server.TimeoutHeader, "soon"},
			map[string]any{"route": "/models/{name}", "status": 400.0}, "not a positive duration"},
		{"an id too long is replaced", "GET", "/models", strings.Repeat("x", 129), "", nil,
			map[string]any{"route": "/models", "status": 200.0}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sendID(t, tt.method, s.URL+tt.path, tt.id, tt.body, tt.header...)
			id := r.header.Get(server.RequestIDHeader)
			if tt.id != "" && len(tt.id) <= 128 && id != tt.id {
				t.Errorf("response request id %q, want the client's %q", id, tt.id)
			} else if (tt.id == "" || len(tt.id) > 128) && !generatedID.MatchString(id) {
				t.Errorf("response request id %q, want 24 hex digits", id)
			}
			line := logs.line(t, id)
			for k, want := range tt.want {
				if line[k] != want {
					t.Errorf("%s = %v, want %v (line %v)", k, line[k], want, line)
				}
			}
			if got, _ := line["resp_bytes"].(float64); got != float64(len(r.body)) {
				t.Errorf("resp_bytes = %v, want %d", line["resp_bytes"], len(r.body))
			}
			if remote, _ := line["remote"].(string); !strings.HasPrefix(remote, "127.0.0.1:") {
				t.Errorf("remote = %q", remote)
			}
			if _, ok := line["latency_ms"].(float64); !ok {
				t.Errorf("no latency_ms in %v", line)
			}
			if errText, _ := line["err"].(string); !strings.Contains(errText, tt.wantErr) || (tt.wantErr == "") != (errText == "") {
				t.Errorf("err = %q, want %q", errText, tt.wantErr)
			}
		})
	}
	// Successful probes leave no line.
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/v2/health/live", "/v2/health/ready"} {
		r := sendID(t, "GET", s.URL+path, "probe"+path, "")
		if r.code != 200 {
			t.Fatalf("GET %s: %d", path, r.code)
		}
	}
	sendID(t, "GET", s.URL+"/models", "after-probes", "")
	logs.line(t, "after-probes")
	for _, line := range logs.lines(t) {
		if id, _ := line["request_id"].(string); strings.HasPrefix(id, "probe") {
			t.Errorf("a successful probe was logged: %v", line)
		}
	}
}

// gRPC calls: the same line, the request id in header metadata.
func TestAccessLogGRPC(t *testing.T) {
	s, logs := startLogged(t)
	c := grpcClient(t, s.GRPCAddr)
	req := &v2.ModelInferRequest{ModelName: "m", ModelVersion: "2", Inputs: []*v2.ModelInferRequest_InferInputTensor{
		{Name: "x", Datatype: "FP32", Shape: []int64{1, 2}, Contents: &v2.InferTensorContents{Fp32Contents: []float32{1, 2}}}}}
	tests := []struct {
		name, id, model string
		want            map[string]any
	}{
		{"given id", "grpc-1", "m", map[string]any{"level": "INFO", "method": "POST", "route": "/inference.GRPCInferenceService/ModelInfer", "protocol": "v2-grpc",
			"model": "m", "version": "2", "status": 200.0, "grpc_code": "OK", "client_id": "bob"}},
		{"generated id", "", "m", map[string]any{"status": 200.0}},
		{"unknown model", "grpc-2", "cats", map[string]any{"level": "INFO", "status": 404.0, "grpc_code": "NotFound"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := metadata.AppendToOutgoingContext(context.Background(), "inferd-client-id", "bob")
			if tt.id != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "inferd-request-id", tt.id)
			}
			req.ModelName = tt.model
			var header metadata.MD
			_, err := c.ModelInfer(ctx, req, grpc.Header(&header))
			if (err != nil) != (tt.model != "m") {
				t.Fatalf("ModelInfer: %v", err)
			}
			ids := header.Get("inferd-request-id")
			if len(ids) != 1 || tt.id != "" && ids[0] != tt.id || tt.id == "" && !generatedID.MatchString(ids[0]) {
				t.Fatalf("request id metadata %q, want %q", ids, tt.id)
			}
			line := logs.line(t, ids[0])
			for k, want := range tt.want {
				if line[k] != want {
					t.Errorf("%s = %v, want %v (line %v)", k, line[k], want, line)
				}
			}
			if n, _ := line["req_bytes"].(float64); n <= 0 {
				t.Errorf("req_bytes = %v", line["req_bytes"])
			}
		})
	}
	ctx := metadata.AppendToOutgoingContext(context.Background(), "inferd-request-id", "grpc-probe")
	if _, err := c.ServerReady(ctx, &v2.ServerReadyRequest{}); err != nil {
		t.Fatal(err)
	}
	for _, line := range logs.lines(t) {
		if line["request_id"] == "grpc-probe" {
			t.Errorf("a successful probe was logged: %v", line)
		}
	}
}

// --access-log errors and off, and sampling: successful requests are
// sampled or dropped, failures always logged (off: server errors only).
func TestAccessLogModes(t *testing.T) {
	tests := []struct {
		mode   server.AccessLogMode
		sample int
		// logged says, for 6 successful requests then 2 bad ones, which
		// are logged.
		logged string
	}{
		{server.AccessLogAll, 1, "11111111"},
		{server.AccessLogAll, 3, "10010011"},
		{server.AccessLogErrors, 1, "00000011"},
		{server.AccessLogOff, 1, "00000000"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/1-in-%d", tt.mode, tt.sample), func(t *testing.T) {
			s, logs := startLogged(t, server.WithAccessLog(tt.mode, tt.sample))
			for i := range 8 {
				body := `{"inputs": {"x": [[1, 2]]}}`
				if i >= 6 {
					body = `{"inputs": {"x": [[1]]}}`
				}
				sendID(t, "POST", s.URL+"/models/m", string(rune('a'+i)), body)
			}
			sendID(t, "GET", s.URL+"/nowhere", "end", "") // a failure, logged but with off
			if tt.mode != server.AccessLogOff {
				logs.line(t, "end")
			}
			got := []byte("00000000")
			for _, line := range logs.lines(t) {
				if id, _ := line["request_id"].(string); len(id) == 1 {
					got[id[0]-'a'] = '1'
				}
			}
			if string(got) != tt.logged {
				t.Errorf("logged %s, want %s", got, tt.logged)
			}
		})
	}
}

func TestParseAccessLogMode(t *testing.T) {
	for _, s := range []string{"all", "errors", "off"} {
		if m, err := server.ParseAccessLogMode(s); err != nil || string(m) != s {
			t.Errorf("ParseAccessLogMode(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := server.ParseAccessLogMode("some"); err == nil || !strings.Contains(err.Error(), `"some" is not all, errors or off`) {
		t.Errorf("ParseAccessLogMode(some): %v", err)
	}
}
