package batch

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestAlone: a request that finds the batcher idle runs at once without
// queueing; one arriving while it holds the only instance queues and
// runs after it; Close waits for both; a request after Close fails.
func TestAlone(t *testing.T) {
	d := &doubler{gate: make(chan struct{})}
	b, _ := New(Config{MaxBatchSize: 8, MaxQueueDelay: time.Minute, Instances: 1, InFlight: func() int { return 1 }}, d.run, nil)
	type answer struct {
		timing Timing
		err    error
	}
	first, second := make(chan answer, 1), make(chan answer, 1)
	do := func(in int, to chan answer) {
		x := rows(float32(in), 1, 2)
		out, timing, err := b.Do(context.Background(), x)
		if err == nil {
			check(t, x, out)
		}
		to <- answer{timing, err}
	}
	go do(1, first)
	waitFor(t, func() bool { return b.idle.Load() == 0 }) // the first holds the instance
	if n := b.queued.Load(); n != 0 {
		t.Fatalf("a lone request was queued (%d waiting)", n)
	}
	go do(2, second)
	waitFor(t, func() bool { return b.queued.Load() == 1 }) // the second queues
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	d.gate <- struct{}{}
	d.gate <- struct{}{}
	for _, ch := range []chan answer{first, second} {
		if a := <-ch; a.err != nil || a.timing.Batch != 1 {
			t.Errorf("answer %+v, want a batch of 1 and no error", a)
		}
	}
	<-closed
	d.mu.Lock()
	if !slices.Equal(d.batches, []int{1, 1}) {
		t.Errorf("calls %v, want [1 1]", d.batches)
	}
	d.mu.Unlock()
	if _, _, err := b.Do(context.Background(), rows(0, 1, 2)); err != ErrClosed {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 10000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("condition not reached in 10s")
}
