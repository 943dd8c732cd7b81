package batch

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestUsualLoadSettlesAfterBusySpell: after a busy spell (20 requests in flight at
// each arrival) the traffic drops to one client (1 in flight at each of
// its arrivals). The lone client's request, alone in the batcher with
// nothing else in flight, must count as all in (no companion can come).
// The moving average's update truncates gapWeight·(new−old) toward zero,
// so it settles up to 15 thousandths above 1000; allIn compares it rounded
// to whole requests.
func TestUsualLoadSettlesAfterBusySpell(t *testing.T) {
	b, _ := New(Config{MaxBatchSize: 2, MaxQueueDelay: time.Second, InFlight: func() int { return 1 }}, (&doubler{}).run, nil)
	defer b.Close()
	t0 := time.Unix(1000, 0)
	for i := range 100 {
		b.cost.arrived(t0.Add(time.Duration(i)*time.Millisecond), 20)
	}
	for i := range 1000 {
		b.cost.arrived(t0.Add(time.Duration(100+i)*time.Millisecond), 1)
	}
	b.inside.Store(1)
	defer b.inside.Store(0)
	if !b.allIn() {
		t.Fatalf("a lone request is not all in: usual load %d thousandths after 1000 arrivals with 1 in flight", b.cost.usualLoad())
	}
}

// TestLoneClientAfterBusySpellRunsAtOnce: the same through Do. A lone client
// (InFlight 1, nothing running) after a busy spell, with the short-wait gate
// open and the epoch's policy waiting: its request must run at once (no
// companion can come), not queue and wait max_queue_delay.
func TestLoneClientAfterBusySpellRunsAtOnce(t *testing.T) {
	d := &doubler{}
	var inflight atomic.Int64
	b, _ := New(Config{MaxBatchSize: 2, MaxQueueDelay: time.Minute, InFlight: func() int { return int(inflight.Load()) }}, d.run, nil)
	defer b.Close()
	const fixed, perRow, gap = 400 * time.Millisecond, 200 * time.Millisecond, 10 * time.Millisecond
	for i := range 100 {
		n := 1 + i%8
		b.cost.observe(n, fixed+time.Duration(n)*perRow)
	}
	t0 := time.Now().Add(-2000 * gap)
	for i := range 100 {
		b.cost.arrived(t0.Add(time.Duration(i)*gap), 20)
	}
	for i := range 1000 { // the lone client's steady traffic since
		b.cost.arrived(t0.Add(time.Duration(100+i)*gap), 1)
	}
	b.policy.wait.Store(true)
	b.policy.end.Store(time.Now().Add(time.Hour).UnixNano())
	inflight.Store(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		out, _, err := b.Do(ctx, rows(0, 1, 2))
		if err == nil {
			check(t, rows(0, 1, 2), out)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		cancel()
		<-done
		t.Fatalf("a lone request (nothing else in flight, usual load %d thousandths) waited for a companion that cannot come (queued %d)",
			b.cost.usualLoad(), b.queued.Load())
	}
}
