package batch

import (
	"context"
	"testing"
	"time"
)

// TestWaitPolicy feeds the policy epochs whose rate depends on whether
// batches waited, and checks which policy it settles on and that it still
// tries the other one now and then.
func TestWaitPolicy(t *testing.T) {
	tests := []struct {
		name            string
		waiting, no     float64 // requests per second under each policy
		trend           float64 // growth of the load per epoch (a client joining slowly)
		wantWait        bool
		wantMinExplored int // epochs out of the last 64 under the other policy
		wantMaxExplored int
		wantGainAtLeast float64
		wantGainAtMost  float64
	}{
		{"waiting pays", 12000, 10000, 0, true, 6, 10, 1.15, 1.25},
		{"waiting loses", 9000, 10000, 0, false, 6, 10, 0.85, 0.95},
		{"a tie goes to not waiting", 10000, 10000, 0, false, 6, 10, 0.99, 1.01},
		{"a growing load does not pass for the policy", 10000, 10000, 0.02, false, 6, 10, 0.97, 1.03},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p waitPolicy
			var reports []policyReport
			p.report = func(waiting bool, gain float64) { reports = append(reports, policyReport{waiting, gain}) }
			now := time.Unix(1000, 0)
			p.done(1, now) // the first request starts the first epoch
			scale := 1.0
			var epochs []bool // whether each epoch waited
			for range 200 {
				epochs = append(epochs, p.waiting())
				rate := tt.no
				if p.waiting() {
					rate = tt.waiting
				}
				rate *= scale
				scale *= 1 + tt.trend
				// An epoch's requests, answered one batch of 8 at a time.
				step := time.Duration(8 / rate * float64(time.Second))
				for end := p.end.Load(); now.UnixNano() < end; {
					now = now.Add(step)
					p.done(8, now)
				}
			}
			measured, _, gain := p.state()
			if measured < 190 {
				t.Fatalf("%d epochs measured, want about 200", measured)
			}
			if gain < tt.wantGainAtLeast || gain > tt.wantGainAtMost {
				t.Errorf("measured gain of waiting %.3f, want %.2f to %.2f", gain, tt.wantGainAtLeast, tt.wantGainAtMost)
			}
			if p.gain > waitMargin != tt.wantWait {
				t.Errorf("prefers waiting: %v, want %v", !tt.wantWait, tt.wantWait)
			}
			explored := 0
			for _, w := range epochs[len(epochs)-64:] {
				if w != tt.wantWait {
					explored++
				}
			}
			if explored < tt.wantMinExplored || explored > tt.wantMaxExplored {
				t.Errorf("%d of the last 64 epochs ran the other policy, want %d to %d", explored, tt.wantMinExplored, tt.wantMaxExplored)
			}
			// One report per epoch started (the first request's included),
			// the last one the current epoch's policy and the gain.
			if len(reports) != measured+1 {
				t.Errorf("%d reports for %d epochs measured, want %d", len(reports), measured, measured+1)
			}
			if want := (policyReport{p.waiting(), gain}); len(reports) > 0 && reports[len(reports)-1] != want {
				t.Errorf("last report %+v, want %+v", reports[len(reports)-1], want)
			}
		})
	}
}

type policyReport struct {
	waiting bool
	gain    float64
}

// policyObserver is an Observer that records the policy reports.
type policyObserver struct {
	reports chan policyReport
}

func (o *policyObserver) Batch(int, time.Duration) {}
func (o *policyObserver) Queued(time.Duration)     {}
func (o *policyObserver) QueueLength(int)          {}
func (o *policyObserver) Rejected()                {}
func (o *policyObserver) Policy(w bool, g float64) { o.reports <- policyReport{w, g} }

// TestPolicyObserver: a batcher whose Observer is a PolicyObserver reports
// the wait policy of the first epoch, started by the first request.
func TestPolicyObserver(t *testing.T) {
	obs := &policyObserver{reports: make(chan policyReport, 16)}
	var d doubler
	b, err := New(Config{MaxBatchSize: 4}, d.run, obs)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, _, err := b.Do(context.Background(), rows(0, 1, 2)); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-obs.reports:
		if !r.waiting || r.gain != 1 {
			t.Errorf("first report %+v, want waiting (the first epochs alternate, starting with waiting) and gain 1", r)
		}
	default:
		t.Error("no policy report after the first request")
	}
}

// TestWaitPolicySparse: epochs with too few requests to compare are
// extended, then dropped, never measured.
func TestWaitPolicySparse(t *testing.T) {
	var p waitPolicy
	now := time.Unix(1000, 0)
	for range 1000 { // one request a second, far apart next to an epoch
		p.done(1, now)
		now = now.Add(time.Second)
	}
	if epochs, _, _ := p.state(); epochs != 0 {
		t.Errorf("%d epochs measured from one request a second, want none", epochs)
	}
	for range 100 { // then 8 requests every millisecond
		now = now.Add(time.Millisecond)
		p.done(8, now)
	}
	if epochs, _, _ := p.state(); epochs < 3 || epochs > 4 {
		t.Errorf("%d epochs measured in 100ms of dense traffic, want 3 or 4", epochs)
	}
}
