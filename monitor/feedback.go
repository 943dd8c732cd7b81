package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Label is one feedback item: the ground truth of a request.
type Label struct {
	RequestID string          `json:"request_id"`
	Label     json.RawMessage `json:"label"`
}

// FeedbackResult says what became of a feedback call.
type FeedbackResult struct {
	Received int `json:"received"`
	// Joined counts labels whose request was captured; the others are
	// kept and join if the request's record arrives later (export).
	Joined  int `json:"joined"`
	Correct int `json:"correct"`
}

// Feedback stores labels for model's requests, joins them to the captured
// requests and updates the live accuracy of the versions that answered.
func (m *Monitor) Feedback(ctx context.Context, model string, labels []Label) (FeedbackResult, error) {
	now := time.Now()
	fb := make([]Feedback, len(labels))
	for i, l := range labels {
		fb[i] = Feedback{Model: model, RequestID: l.RequestID, Label: l.Label, Time: now}
	}
	recs, err := m.store.AddFeedback(ctx, fb)
	if err != nil {
		return FeedbackResult{}, fmt.Errorf("storing feedback: %w", err)
	}
	res := FeedbackResult{Received: len(labels), Joined: len(recs)}
	for _, r := range recs {
		t, _ := m.target(r.Model, r.Version)
		o, ok := outcomeOf(r, t.Labels)
		if !ok {
			continue
		}
		o.at = now
		if o.correct() {
			res.Correct++
		}
		m.live.add(targetKey{r.Model, r.Version}, o)
	}
	m.metrics.feedback.WithLabelValues(model, "true").Add(float64(res.Joined))
	m.metrics.feedback.WithLabelValues(model, "false").Add(float64(res.Received - res.Joined))
	return res, nil
}

// Status is the live accuracy of model's versions by window ("last_100",
// …), keyed by version number; nil when no label has joined yet.
func (m *Monitor) Status(model string) map[string]map[string]WindowStatus {
	if m == nil {
		return nil
	}
	return m.live.status(model)
}

// live keeps the outcomes of the last labelled predictions per version.
type live struct {
	mu    sync.Mutex
	sizes []int
	spans []time.Duration
	met   *metrics
	ring  map[targetKey]*outcomes
}

type outcomes struct {
	buf  []outcome // ring of the largest window's size
	next int
	n    int
}

func newLive(sizes []int, spans []time.Duration, met *metrics) *live {
	return &live{sizes: sizes, spans: spans, met: met, ring: map[targetKey]*outcomes{}}
}

// windows returns the outcomes of each window by name: the last N, and
// those labelled in the last span before now.
func (l *live) windows(o *outcomes, now time.Time) map[string][]outcome {
	ws := make(map[string][]outcome, len(l.sizes)+len(l.spans))
	for _, size := range l.sizes {
		ws[windowName(size)] = o.last(size)
	}
	all := o.last(len(o.buf))
	for _, d := range l.spans {
		n := sort.Search(len(all), func(i int) bool { return now.Sub(all[i].at) > d }) // newest first
		ws[spanName(d)] = all[:n]
	}
	return ws
}

func (l *live) add(k targetKey, o outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ring := l.ring[k]
	if ring == nil {
		ring = &outcomes{buf: make([]outcome, maxOf(l.sizes))}
		l.ring[k] = ring
	}
	ring.buf[ring.next] = o
	ring.next = (ring.next + 1) % len(ring.buf)
	ring.n = min(ring.n+1, len(ring.buf))
	for name, w := range l.windows(ring, o.at) {
		l.met.set(k.model, strconv.Itoa(k.version), name, quality(w))
	}
}

// last returns the last n outcomes (fewer when there are fewer).
func (o *outcomes) last(n int) []outcome {
	n = min(n, o.n)
	out := make([]outcome, n)
	for i := range n {
		out[i] = o.buf[(o.next-1-i+2*len(o.buf))%len(o.buf)]
	}
	return out
}

func (l *live) status(model string) map[string]map[string]WindowStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	var st map[string]map[string]WindowStatus
	for k, o := range l.ring {
		if k.model != model {
			continue
		}
		if st == nil {
			st = map[string]map[string]WindowStatus{}
		}
		ws := map[string]WindowStatus{}
		for name, w := range l.windows(o, time.Now()) {
			ws[name] = quality(w)
		}
		st[strconv.Itoa(k.version)] = ws
	}
	return st
}

func windowName(size int) string { return "last_" + strconv.Itoa(size) }

// spanName is "last_1h", "last_15m" or "last_30s".
func spanName(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return "last_" + strconv.Itoa(int(d/time.Hour)) + "h"
	case d%time.Minute == 0:
		return "last_" + strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return "last_" + strconv.Itoa(int(d/time.Second)) + "s"
}

func maxOf(xs []int) int {
	m := 1
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
