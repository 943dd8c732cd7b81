package monitor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/sqlstore"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/tensor"
)

// digitsRepo copies the digits example into a temporary repository, with
// extra appended to its config.yaml.
func digitsRepo(t testing.TB, extra string) string {
	t.Helper()
	src := filepath.Join(testutil.ExamplesDir(), "digits")
	dst := filepath.Join(t.TempDir(), "digits")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dst, "config.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append(data, extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(dst)
}

// startMonitored serves repo with capture into a fresh SQLite store.
func startMonitored(t testing.TB, repo string, opts ...monitor.Option) (*servertest.Instance, *sqlstore.Store) {
	t.Helper()
	store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "monitor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg := prometheus.NewRegistry()
	m, err := monitor.New(store, append([]monitor.Option{monitor.WithBatch(64, 5*time.Millisecond), monitor.WithRegisterer(reg)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.StartConfig(t, app.Config{RepositoryDir: repo, Monitor: m, Registry: reg}), store
}

type answer struct {
	code   int
	header http.Header
	body   []byte
}

func post(t testing.TB, url, contentType string, body []byte, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// waitRecords polls the store until it holds n records (for at most 10s).
func waitRecords(t testing.TB, store monitor.Store, n int) []monitor.Record {
	t.Helper()
	for range 1000 {
		recs, err := store.Records(context.Background(), monitor.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) >= n {
			return recs
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the store did not reach %d records", n)
	return nil
}

func TestCaptureFeedbackAndAccuracy(t *testing.T) {
	repo := digitsRepo(t, "monitoring:\n  sample_rate: 1\n  headers: [X-Tenant]\n")
	srv, store := startMonitored(t, repo)
	ref := testutil.LoadReference(t)
	// Seed route, one PNG each, with the client's request ids.
	want := map[string]string{} // request id -> predicted label
	sent := map[string]string{} // request id -> the PNG
	for i, img := range ref.Images[:8] {
		png := testutil.ReadFile(t, filepath.Join(testutil.DigitsDir(), "images", img.File))
		id := fmt.Sprintf("seed-%d", i)
		a := post(t, srv.URL+"/models/digits", "image/png", png, map[string]string{
			"Inferd-Request-Id": id, "Inferd-Client-Id": "tester", "X-Tenant": "acme", "X-Secret": "s"})
		if a.code != 200 || a.header.Get("Inferd-Request-Id") != id {
			t.Fatalf("predict %d: %d %s (id %q)", i, a.code, a.body, a.header.Get("Inferd-Request-Id"))
		}
		want[id], sent[id] = img.Digits.Predicted, string(png)
	}
	recs := waitRecords(t, store, 8)
	for _, r := range recs {
		if want[r.RequestID] == "" || r.Model != "digits" || r.Version != 1 || r.ClientID != "tester" {
			t.Fatalf("record %+v", r)
		}
		if r.Prediction != want[r.RequestID] {
			t.Errorf("%s: prediction %q, reference %q", r.RequestID, r.Prediction, want[r.RequestID])
		}
		if len(r.Headers) != 1 || r.Headers["X-Tenant"] != "acme" {
			t.Errorf("%s: headers %v, want only the allowed X-Tenant", r.RequestID, r.Headers)
		}
		// The image is kept as it was sent, not as the decoded pixels.
		ins, err := r.Inputs.Tensors()
		if err != nil || ins["input"] == nil || ins["input"].DType() != tensor.String || fmt.Sprint(ins["input"].Shape()) != "[1]" ||
			tensor.Data[string](ins["input"])[0] != sent[r.RequestID] {
			t.Fatalf("%s: inputs %v (%v), want the PNG sent", r.RequestID, ins, err)
		}
	}
	// Labels: the first 6 as the reference's prediction, then 2 wrong, and
	// one for a request never captured.
	var labels []map[string]any
	for i := range 8 {
		id := fmt.Sprintf("seed-%d", i)
		label := want[id]
		if i >= 6 {
			label = "x"
		}
		labels = append(labels, map[string]any{"request_id": id, "label": label})
	}
	labels = append(labels, map[string]any{"request_id": "never", "label": 3})
	body, _ := json.Marshal(labels)
	a := post(t, srv.URL+"/models/digits/feedback", "application/json", body, nil)
	var res monitor.FeedbackResult
	if err := json.Unmarshal(a.body, &res); a.code != 200 || err != nil || res != (monitor.FeedbackResult{Received: 9, Joined: 8, Correct: 6}) {
		t.Fatalf("feedback: %d %s", a.code, a.body)
	}
	var status struct {
		Monitoring map[string]map[string]monitor.WindowStatus `json:"monitoring"`
	}
	getJSON(t, srv.URL+"/models/digits", &status)
	if w := status.Monitoring["1"]["last_100"]; w.Labelled != 8 || w.Accuracy != 0.75 || w.F1Macro <= 0 || w.Classes["x"].Support != 2 || status.Monitoring["1"]["last_1h"].Labelled != 8 {
		t.Fatalf("status monitoring %+v, want 8 labelled at 0.75", status.Monitoring)
	}
	metrics := get(t, srv.URL+"/metrics")
	for _, line := range []string{
		`inferd_monitor_accuracy{model="digits",version="1",window="last_100"} 0.75`,
		`inferd_monitor_captured_total{model="digits"} 8`,
		`inferd_monitor_feedback_total{joined="false",model="digits"} 1`,
		`inferd_monitor_quality{metric="f1_macro",model="digits",version="1",window="last_100"}`,
		`inferd_monitor_class_quality{class="x",metric="precision",model="digits",version="1",window="last_100"} 0`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
}

func TestFeedbackBadInput(t *testing.T) {
	srv, _ := startMonitored(t, digitsRepo(t, ""))
	tests := []struct {
		name, path, body string
		code             int
		want             string
	}{
		{"unknown model", "/models/nope/feedback", `{"request_id":"a","label":1}`, 404, "nope"},
		{"no label", "/models/digits/feedback", `{"request_id":"a"}`, 400, "label is missing"},
		{"no request id", "/models/digits/feedback", `{"label":1}`, 400, "request_id"},
		{"unknown field", "/models/digits/feedback", `{"request_id":"a","label":1,"x":2}`, 400, "x"},
		{"empty list", "/v2/models/digits/feedback", `[]`, 400, "1 to 10000 labels"},
		{"not JSON", "/models/digits/feedback", `{"request_id":`, 400, "JSON"},
		{"empty", "/models/digits/feedback", ``, 400, "empty request body"},
	}
	for _, tt := range tests {
		a := post(t, srv.URL+tt.path, "application/json", []byte(tt.body), nil)
		var e struct{ Error string }
		if err := json.Unmarshal(a.body, &e); a.code != tt.code || err != nil || !strings.Contains(e.Error, tt.want) {
			t.Errorf("%s: %d %s, want %d naming %q", tt.name, a.code, a.body, tt.code, tt.want)
		}
	}
}

// The v2 answer's id is the client's, else the request id; over gRPC
// the inferd-request-id metadata comes back and the id too.
func TestRequestIDsReachCapture(t *testing.T) {
	srv, store := startMonitored(t, digitsRepo(t, "monitoring:\n  sample_rate: 1\n  headers: [x-tenant]\n"))
	x := make([]float32, 64)
	body, _ := json.Marshal(map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": []int{1, 1, 8, 8}, "data": x}}})
	a := post(t, srv.URL+"/v2/models/digits/infer", "application/json", body, nil)
	var ans struct{ ID string }
	if err := json.Unmarshal(a.body, &ans); a.code != 200 || err != nil || ans.ID == "" || ans.ID != a.header.Get("Inferd-Request-Id") {
		t.Fatalf("v2: %d %s, header id %q", a.code, a.body, a.header.Get("Inferd-Request-Id"))
	}
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	contents := &v2.InferTensorContents{Fp32Contents: x}
	ctx := metadata.AppendToOutgoingContext(context.Background(), "inferd-request-id", "grpc-1", "x-tenant", "acme")
	var header metadata.MD
	r, err := v2.NewGRPCInferenceServiceClient(conn).ModelInfer(ctx, &v2.ModelInferRequest{ModelName: "digits",
		Inputs: []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{1, 1, 8, 8}, Contents: contents}}},
		grpc.Header(&header))
	if err != nil || r.GetId() != "grpc-1" || fmt.Sprint(header.Get("inferd-request-id")) != "[grpc-1]" {
		t.Fatalf("gRPC: %v id %q header %v", err, r.GetId(), header)
	}
	recs := waitRecords(t, store, 2)
	if recs[0].RequestID != ans.ID || recs[1].RequestID != "grpc-1" || recs[1].Headers["x-tenant"] != "acme" {
		t.Fatalf("records %q %q %v, want %q and grpc-1 with x-tenant", recs[0].RequestID, recs[1].RequestID, recs[1].Headers, ans.ID)
	}
}

func get(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(get(t, url)), v); err != nil {
		t.Fatal(err)
	}
}
