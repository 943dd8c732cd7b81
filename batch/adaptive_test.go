package batch

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferd/inferd/tensor"
)

func TestCostModel(t *testing.T) {
	tests := []struct {
		name      string
		rows      []int
		fixed     time.Duration // of the synthetic calls
		perRow    time.Duration
		gap       time.Duration // between the synthetic arrivals
		mayWait   bool          // the epoch's policy
		wantFixed bool
		wait      time.Duration // shortWait of a 5ms delay (maxWait is the delay if it is not 0)
	}{
		{"no spread in rows: no fit, the delay applies", []int{1, 1, 1, 1}, time.Millisecond, 100 * time.Microsecond, time.Second, false, false, 5 * time.Millisecond},
		{"sparse arrivals, costly calls: wait one call of one row", []int{1, 4, 8, 2, 16}, time.Millisecond, 100 * time.Microsecond, 10 * time.Millisecond, true, true, 1100 * time.Microsecond},
		{"sparse arrivals, cheap calls: no wait", []int{1, 4, 8, 2, 16}, 10 * time.Microsecond, 100 * time.Microsecond, 10 * time.Millisecond, true, true, 0},
		{"arrivals slower than the fixed cost, call longer than the gap: wait one gap", []int{1, 4, 8, 2, 16}, 40 * time.Microsecond, 40 * time.Microsecond, 60 * time.Microsecond, true, true, 60 * time.Microsecond},
		{"arrivals slower than a call: wait one call of one row", []int{1, 4, 8, 2, 16}, 40 * time.Microsecond, 20 * time.Microsecond, 100 * time.Microsecond, true, true, 60 * time.Microsecond},
		{"arrivals slower than a call, waiting measured not to pay: no wait", []int{1, 4, 8, 2, 16}, 40 * time.Microsecond, 20 * time.Microsecond, 100 * time.Microsecond, false, true, 0},
		{"dense arrivals, costly calls: wait one fixed cost", []int{1, 4, 8, 2, 16}, time.Millisecond, 100 * time.Microsecond, 50 * time.Microsecond, true, true, time.Millisecond},
		{"dense arrivals, costlier calls: wait the delay", []int{1, 4, 8, 2, 16}, 10 * time.Millisecond, 100 * time.Microsecond, 50 * time.Microsecond, true, true, 5 * time.Millisecond},
		{"dense arrivals, costly calls, waiting measured not to pay: no wait", []int{1, 4, 8, 2, 16}, time.Millisecond, 100 * time.Microsecond, 50 * time.Microsecond, false, true, 0},
		{"dense arrivals, cheap calls: no wait", []int{1, 4, 8, 2, 16}, 5 * time.Microsecond, 100 * time.Microsecond, 50 * time.Microsecond, true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m costModel
			for i := range 200 {
				n := tt.rows[i%len(tt.rows)]
				m.observe(n, tt.fixed+time.Duration(n)*tt.perRow)
			}
			t0 := time.Unix(1000, 0)
			for i := range 100 {
				m.arrived(t0.Add(time.Duration(i)*tt.gap), 1)
			}
			fixed, gap, haveFixed, haveGap := m.estimates()
			if haveFixed != tt.wantFixed || !haveGap {
				t.Fatalf("estimates known: fixed %v, gap %v; want %v, true", haveFixed, haveGap, tt.wantFixed)
			}
			if haveFixed && (fixed < tt.fixed*99/100 || fixed > tt.fixed*101/100) {
				t.Errorf("fixed cost %v, want %v", fixed, tt.fixed)
			}
			if gap != tt.gap {
				t.Errorf("gap %v, want %v", gap, tt.gap)
			}
			if got := m.shortWait(5*time.Millisecond, tt.mayWait); got < tt.wait*99/100 || got > tt.wait*101/100 {
				t.Errorf("shortWait = %v, want %v", got, tt.wait)
			}
			want := time.Duration(0)
			if tt.wait > 0 {
				want = 5 * time.Millisecond
			}
			if got := m.maxWait(5*time.Millisecond, tt.mayWait); got != want {
				t.Errorf("maxWait = %v, want %v", got, want)
			}
		})
	}
}

// TestAdaptiveNoWait: once the batcher has learned that requests come
// rarely compared with a call's time, and its fixed cost is too small for
// the few companions a wait could gather to pay for the queue, a request
// that is not alone in flight still starts at once instead of waiting out
// the delay.
func TestAdaptiveNoWait(t *testing.T) {
	d := &doubler{}
	b, _ := New(Config{MaxBatchSize: 8, MaxQueueDelay: time.Minute, InFlight: func() int { return 2 }}, d.run, nil)
	defer b.Close()
	for i := range 100 {
		b.cost.observe(1+i%8, 10*time.Microsecond+time.Duration(1+i%8)*time.Microsecond)
	}
	t0 := time.Now().Add(-time.Hour)
	for i := range 10 {
		b.cost.arrived(t0.Add(time.Duration(i)*time.Second), 1)
	}
	done := make(chan error, 1)
	go func() { _, _, err := b.Do(context.Background(), rows(0, 1, 2)); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a request waited for the delay although companions come far apart")
	}
}

// TestAdaptiveWaitsForAComingCompanion: requests come further apart than
// a call's fixed cost but within a one-row call, calls cost far more than
// the queue, and another request is in flight (being read): the first
// request waits for it instead of running alone, and the two run as one
// batch (the earlier rule, waiting only while the gap was below the fixed
// cost, ran them one at a time).
func TestAdaptiveWaitsForAComingCompanion(t *testing.T) {
	d := &doubler{}
	b, _ := New(Config{MaxBatchSize: 8, MaxQueueDelay: time.Minute, InFlight: func() int { return 2 }}, d.run, nil)
	defer b.Close()
	teachWaiting(b, time.Second, 1)
	type answer struct {
		in, out map[string]*tensor.Tensor
		err     error
	}
	answers := make(chan answer, 2)
	do := func(in map[string]*tensor.Tensor) {
		out, _, err := b.Do(context.Background(), in)
		answers <- answer{in, out, err}
	}
	go do(rows(0, 1, 2))
	for i := 0; b.queued.Load() == 0; i++ { // the first request waits in the queue
		if i == 10000 {
			t.Fatal("the first request did not queue to wait for its companion")
		}
		time.Sleep(100 * time.Microsecond)
	}
	go do(rows(10, 1, 2))
	for range 2 {
		a := <-answers
		if a.err != nil {
			t.Fatal(a.err)
		}
		check(t, a.in, a.out)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.batches) != 1 || d.batches[0] != 2 {
		t.Errorf("batches %v, want one batch of 2 rows", d.batches)
	}
}

// TestAdaptiveWaitsOutAConvoyGap: under concurrent load (usually 20
// requests in flight), a request that finds nothing else in flight is in
// the gap between a batch's answers and its clients' next requests: it
// waits for the next one instead of running alone, and the two run as one
// full batch (the earlier rule, judging "nothing else in flight" on its
// own, ran the first alone).
func TestAdaptiveWaitsOutAConvoyGap(t *testing.T) {
	d := &doubler{}
	var inflight atomic.Int64
	b, _ := New(Config{MaxBatchSize: 2, MaxQueueDelay: time.Minute, InFlight: func() int { return int(inflight.Load()) }}, d.run, nil)
	defer b.Close()
	teachWaiting(b, 10*time.Millisecond, 20)
	errs := make(chan error, 2)
	do := func(in map[string]*tensor.Tensor) {
		out, _, err := b.Do(context.Background(), in)
		if err == nil {
			check(t, in, out)
		}
		errs <- err
	}
	inflight.Store(1)
	go do(rows(0, 1, 2))
	for i := 0; b.queued.Load() == 0; i++ {
		if i == 10000 {
			t.Fatal("the first request did not queue to wait for the next one")
		}
		time.Sleep(100 * time.Microsecond)
	}
	inflight.Store(2)
	go do(rows(10, 1, 2))
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.batches) != 1 || d.batches[0] != 2 {
		t.Errorf("batches %v, want one batch of 2 rows", d.batches)
	}
}

// teachWaiting teaches b calls of 400 ms plus 200 ms a row, 100 arrivals
// gap apart with inflight requests in flight at each, and an epoch that
// allows waiting for the rest of the test.
func teachWaiting(b *Batcher, gap time.Duration, inflight int) {
	const fixed, perRow = 400 * time.Millisecond, 200 * time.Millisecond
	for i := range 100 {
		n := 1 + i%8
		b.cost.observe(n, fixed+time.Duration(n)*perRow)
	}
	t0 := time.Now().Add(-100 * gap)
	for i := range 100 {
		b.cost.arrived(t0.Add(time.Duration(i)*gap), inflight)
	}
	b.policy.wait.Store(true)
	b.policy.end.Store(time.Now().Add(time.Hour).UnixNano())
}
