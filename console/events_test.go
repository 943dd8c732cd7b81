package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inferd/inferd/console"
	"github.com/inferd/inferd/server"
)

// The event stream sends the overview; shutting the server down ends it
// (the drain does not wait for it).
func TestEventStream(t *testing.T) {
	in := start(t, examples(t), server.ConsoleAuto)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, in.URL+"/ui/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	var event string
	var ov console.Overview
	for sc.Scan() {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok && event == "overview" {
			if err := json.Unmarshal([]byte(d), &ov); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if len(ov.Models) != 5 {
		t.Fatalf("overview event with %d models, want 5", len(ov.Models))
	}
	if err := in.Stop(); err != nil { // a stream held open would fail the drain
		t.Errorf("stopping with a stream open: %v", err)
	}
	for sc.Scan() {
	}
}

// ?events=N ends the stream after N events; a bad count is a 400.
func TestEventCount(t *testing.T) {
	in := start(t, examples(t), server.ConsoleAuto)
	resp, err := http.Get(in.URL + "/ui/api/events?events=2")
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body) // ends: the server closes the stream
	resp.Body.Close()
	if err != nil || strings.Count(string(data), "event: overview\n") != 2 {
		t.Errorf("events=2: %d overview events (%v)", strings.Count(string(data), "event: overview\n"), err)
	}
	if code := get(t, in.URL+"/ui/api/events?events=-1", nil); code != http.StatusBadRequest {
		t.Errorf("events=-1: %d, want 400", code)
	}
}
