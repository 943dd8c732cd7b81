package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func metricValue(t *testing.T, url, prefix string) string {
	t.Helper()
	for line := range strings.Lines(string(get(t, url+"/metrics").body)) {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(strings.TrimPrefix(line, prefix))
		}
	}
	return ""
}

// Concurrent requests are grouped into larger engine calls; every client
// gets its own answer, and the timing header tells it where time went.
func TestDynamicBatching(t *testing.T) {
	root := lifecycleRepo(t, "batching: {max_batch_size: 16, max_queue_delay: 200ms}\ninstances: 2\n", map[int]string{1: "digits"})
	url, models := startWatching(t, root)
	// A request still being read holds the version, so a batch waits (up
	// to the delay) for companions instead of starting at once when the
	// others are slow to arrive (a loaded machine): batches form whatever
	// the scheduling.
	held, err := models.Acquire("m", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	files := []string{"0_0.png", "1_1.png", "2_2.png", "3_3.png", "4_4.png", "5_0.png", "6_1.png", "7_2.png", "8_3.png", "9_4.png"}
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for round := range 4 {
		for _, f := range files {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := do(t, http.MethodPost, url+"/models/m/1", "image/png", sample(t, f))
				var ans struct{ Predictions []struct{ Label string } }
				r.json(t, &ans)
				timing := r.header.Get("Inferd-Timing")
				if r.code != 200 || len(ans.Predictions) == 0 || ans.Predictions[0].Label != f[:1] {
					errs <- fmt.Sprintf("round %d %s: %d %s", round, f, r.code, r.body)
				} else if !strings.HasPrefix(timing, "queue=") || !strings.Contains(timing, ";compute=") || !strings.Contains(timing, ";batch=") {
					errs <- fmt.Sprintf("%s: Inferd-Timing %q", f, timing)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	calls := metricValue(t, url, `inferd_inference_batch_size_count{model="m",version="1"} `)
	rows := metricValue(t, url, `inferd_inference_batch_size_sum{model="m",version="1"} `)
	if rows != "40" || calls == "" || calls == "40" {
		t.Errorf("%s rows in %s calls: want 40 rows in fewer calls", rows, calls)
	}
	t.Logf("40 requests ran in %s engine calls", calls)
	// The wait policy's state (batch.PolicyObserver), set from the first call.
	if w := metricValue(t, url, `inferd_batch_waiting{model="m",version="1"} `); w != "0" && w != "1" {
		t.Errorf("inferd_batch_waiting %q, want 0 or 1", w)
	}
	if g := metricValue(t, url, `inferd_batch_wait_gain{model="m",version="1"} `); g == "" {
		t.Error("no inferd_batch_wait_gain")
	}
}

// A full queue answers 429 at once; a request whose deadline passes in the
// queue leaves it with 504.
func TestBackpressure(t *testing.T) {
	root := lifecycleRepo(t, "batching: {max_batch_size: 64, max_queue_delay: 1500ms, max_queue_size: 2}\n", map[int]string{1: "digits"})
	url, models := startWatching(t, root)
	png := sample(t, "7_0.png")
	// A request still being read holds the version: the queued ones wait
	// for it (up to the delay) instead of running at once.
	held, err := models.Acquire("m", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	deadline := time.Now().Add(10 * time.Second)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range 2 { // these two wait 1.5s for companions
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = do(t, http.MethodPost, url+"/models/m", "image/png", png).code }()
	}
	for metricValue(t, url, `inferd_inference_queue_length{model="m",version="1"} `) != "2" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	r := do(t, http.MethodPost, url+"/models/m", "image/png", png)
	if r.code != http.StatusTooManyRequests || !strings.Contains(string(r.body), "queue full") {
		t.Fatalf("full queue: %d %s", r.code, r.body)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("the 429 took %v; it must come at once, not after the queue delay", waited)
	}
	// Turned away before the body is read: a body that is no image gets
	// 429, not the 400 its decoding would give.
	if r := do(t, http.MethodPost, url+"/models/m", "image/png", []byte("not an image")); r.code != http.StatusTooManyRequests {
		t.Errorf("full queue, undecodable body: %d %s; want 429 before decoding", r.code, r.body)
	}
	if v := metricValue(t, url, `inferd_inference_rejected_total{model="m",version="1"} `); v != "2" {
		t.Errorf("rejected metric %q, want 2", v)
	}
	wg.Wait()
	if codes[0] != 200 || codes[1] != 200 {
		t.Errorf("queued requests: %v", codes)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/models/m", strings.NewReader(string(png)))
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Inferd-Timeout", "50ms")
	if r := send(t, req); r.code != http.StatusGatewayTimeout {
		t.Errorf("deadline in the queue: %d %s", r.code, r.body)
	}
	req.Header.Set("Inferd-Timeout", "soon")
	if r := send(t, req); r.code != http.StatusBadRequest || !strings.Contains(string(r.body), "Inferd-Timeout") {
		t.Errorf("bad timeout header: %d %s", r.code, r.body)
	}
}
