package monitor_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/inferd/inferd/monitor"
)

// Captured requests reach a CloudEvents receiver as KServe's payload
// logger sends them: a request and a response event sharing the ce-id.
func TestCloudEvents(t *testing.T) {
	type event struct {
		header http.Header
		body   map[string]any
	}
	var mu sync.Mutex
	var events []event
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("event body %s: %v", b, err)
		}
		mu.Lock()
		events = append(events, event{r.Header, body})
		mu.Unlock()
	}))
	defer recv.Close()
	m, _, _ := newMonitor(t, monitor.WithCloudEvents(&monitor.CloudEvents{URL: recv.URL, Source: "inferd-test"}))
	one := 1.0
	r := m.Wrap(monitor.Target{Model: "m", Version: 3, Rate: &one, Redact: []string{"ssn"}})(double)
	runMonitor(t, m)
	ctx := monitor.WithCall(t.Context(), &monitor.Call{RequestID: "ce-1"})
	if err := run(t, r, ctx, 2); err != nil {
		t.Fatal(err)
	}
	for range 500 {
		mu.Lock()
		n := len(events)
		mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	req, resp := events[0], events[1]
	if req.header.Get("Ce-Type") != monitor.EventTypeRequest || resp.header.Get("Ce-Type") != monitor.EventTypeResponse ||
		req.header.Get("Ce-Id") != "ce-1" || resp.header.Get("Ce-Id") != "ce-1" || req.header.Get("Ce-Specversion") != "1.0" ||
		req.header.Get("Ce-Source") != "inferd-test" || resp.header.Get("Ce-Inferenceservicename") != "m" {
		t.Fatalf("headers %v / %v", req.header, resp.header)
	}
	inputs, _ := json.Marshal(req.body["inputs"])
	if string(inputs) != `[{"data":[2,1],"datatype":"FP32","name":"x","shape":[1,2]}]` {
		t.Fatalf("request inputs %s (ssn must be left out)", inputs)
	}
	outputs, _ := json.Marshal(resp.body["outputs"])
	if string(outputs) != `[{"data":[4,2],"datatype":"FP32","name":"y","shape":[1,2]}]` || resp.body["model_version"] != "3" {
		t.Fatalf("response %v", resp.body)
	}
}
