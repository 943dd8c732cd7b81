package batch

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestWaitPolicy feeds the policy epochs whose rate depends on whether
// batches waited, and checks which policy it settles on and that it still
// tries the other one now and then: one epoch in eight, or in 32 when the
// gain is far from the threshold.
func TestWaitPolicy(t *testing.T) {
	tests := []struct {
		name            string
		waiting, no     float64 // requests per second under each policy
		trend           float64 // growth of the load per epoch (a client joining slowly)
		noise           float64 // each epoch's rate is off by up to this share, at random
		wantWait        bool
		wantMinExplored int // epochs out of the last 64 under the other policy
		wantMaxExplored int
		wantGainAtLeast float64
		wantGainAtMost  float64
	}{
		{"waiting pays", 12000, 10000, 0, 0, true, 1, 3, 1.15, 1.25},
		{"waiting pays a little", 10500, 10000, 0, 0, true, 6, 10, 1.04, 1.06},
		{"waiting loses", 9000, 10000, 0, 0, false, 6, 10, 0.85, 0.95},
		{"waiting loses clearly", 7000, 10000, 0, 0, false, 1, 3, 0.65, 0.75},
		{"a tie waits, as configured", 10000, 10000, 0, 0, true, 6, 10, 0.99, 1.01},
		{"a growing load does not pass for the policy", 10000, 10000, 0.02, 0, true, 6, 10, 0.97, 1.03},
		// Epochs at 64 connections on the 2-vCPU machine read from 0.6
		// to 1.4 times their median under one policy.
		{"noisy epochs: waiting pays", 14000, 10000, 0, 0.4, true, 1, 10, 1.1, 1.8},
		{"noisy epochs: waiting loses", 8000, 10000, 0, 0.4, false, 1, 10, 0.5, 0.95},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p waitPolicy
			var reports []policyReport
			p.report = func(waiting bool, gain float64) { reports = append(reports, policyReport{waiting, gain}) }
			rng := rand.New(rand.NewPCG(1, 2))
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
				rate *= scale * (1 + tt.noise*(2*rng.Float64()-1))
				scale *= 1 + tt.trend
				now = epoch(&p, now, rate)
			}
			measured, _, gain := p.state()
			if measured < 190 {
				t.Fatalf("%d epochs measured, want about 200", measured)
			}
			if gain < tt.wantGainAtLeast || gain > tt.wantGainAtMost {
				t.Errorf("measured gain of waiting %.3f, want %.2f to %.2f", gain, tt.wantGainAtLeast, tt.wantGainAtMost)
			}
			if p.prefersWaiting() != tt.wantWait {
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

// epoch answers the current epoch's requests at rate per second, 8 at a
// time, from now to the epoch's end, and returns the time it ends.
func epoch(p *waitPolicy, now time.Time, rate float64) time.Time {
	step := time.Duration(8 / rate * float64(time.Second))
	for end := p.end.Load(); now.UnixNano() < end; {
		now = now.Add(step)
		p.done(8, now)
	}
	return now
}

// TestWaitPolicyLoadStep: at 8 connections waiting and not waiting tie;
// then the load rises to where waiting serves 1.4 times as many requests
// (the transformer at 64 connections). The policy waits through the tie
// (as configured) and so from the step on, and one sample spanning the
// step, or a stalled epoch, does not turn it: every epoch after the step
// but the explorations (one in eight until the gain is sure) waits.
func TestWaitPolicyLoadStep(t *testing.T) {
	var p waitPolicy
	now := time.Unix(1000, 0)
	p.done(1, now)
	for range 40 { // 8 connections: a tie
		now = epoch(&p, now, 12000)
	}
	notWaiting := 0
	for i := range 40 { // 64 connections
		waiting := p.waiting()
		rate := 14000.0
		if waiting {
			rate = 19600
		}
		if i == 20 {
			rate /= 3 // a stall of the machine
		}
		if !waiting {
			notWaiting++
		}
		now = epoch(&p, now, rate)
	}
	if notWaiting > 5 {
		t.Errorf("%d of the 40 epochs after the step did not wait, want at most 5 (explorations, one in eight)", notWaiting)
	}
	if !p.prefersWaiting() {
		t.Error("prefers not waiting after the step")
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
