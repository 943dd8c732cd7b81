package batch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferd/inferd/tensor"
)

// TestDirect runs concurrent callers through batchers whose batched calls
// cost the same whatever their rows, with and without Config.Direct.
// Where a direct call is far cheaper than a batch, the batcher measures
// it and serves most requests directly; without Direct it keeps batching.
// Every request gets its own rows either way.
func TestDirect(t *testing.T) {
	tests := []struct {
		name          string
		direct        bool
		minDirectPart float64 // least share of the requests answered directly
		maxDirectPart float64
	}{
		{"batching loses: most requests run directly", true, 0.5, 1},
		{"no Direct: every request is batched", false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var batched, direct atomic.Int64
			run := func(ctx context.Context, i int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
				batched.Add(int64(in["x"].Shape()[0]))
				time.Sleep(2 * time.Millisecond) // a call's fixed cost, far above a direct call's
				return (&doubler{}).run(ctx, i, in)
			}
			cfg := Config{MaxBatchSize: 8, MaxQueueDelay: time.Millisecond}
			if tt.direct {
				cfg.Direct = func(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
					direct.Add(1)
					return (&doubler{}).run(ctx, 0, in)
				}
			}
			b, err := New(cfg, run, nil)
			if err != nil {
				t.Fatal(err)
			}
			const callers, each = 8, 400
			var wg sync.WaitGroup
			for g := range callers {
				wg.Go(func() {
					for i := range each {
						in := rows(float32(1000*g+i), 1, 2)
						out, _, err := b.Do(context.Background(), in)
						if err != nil {
							t.Error(err)
							return
						}
						check(t, in, out)
					}
				})
			}
			wg.Wait()
			b.Close()
			total := batched.Load() + direct.Load()
			part := float64(direct.Load()) / float64(total)
			if total != callers*each || part < tt.minDirectPart || part > tt.maxDirectPart {
				t.Errorf("%d rows batched, %d direct: direct share %.2f, want %.2f to %.2f of %d", batched.Load(), direct.Load(), part, tt.minDirectPart, tt.maxDirectPart, callers*each)
			}
			t.Logf("%d requests batched, %d direct", batched.Load(), direct.Load())
		})
	}
}

// TestDirectClose checks that Close waits for the direct calls in
// progress, that MaxDirect bounds them (the rest queue), and that a
// request after Close fails with ErrClosed.
func TestDirectClose(t *testing.T) {
	gate := make(chan struct{})
	var inDirect, maxIn atomic.Int64
	cfg := Config{MaxBatchSize: 8, MaxDirect: 2, Direct: func(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		n := inDirect.Add(1)
		defer inDirect.Add(-1)
		for m := maxIn.Load(); n > m && !maxIn.CompareAndSwap(m, n); m = maxIn.Load() {
		}
		<-gate
		return (&doubler{}).run(ctx, 0, in)
	}}
	b, _ := New(cfg, (&doubler{}).run, nil)
	b.policy.wait.Store(false) // an epoch that does not batch
	b.policy.end.Store(time.Now().Add(time.Hour).UnixNano())
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			in := rows(float32(i), 1, 2)
			if out, _, err := b.Do(context.Background(), in); err != nil {
				t.Error(err)
			} else {
				check(t, in, out)
			}
		})
	}
	for b.direct.Load() < 2 { // the other two queue and run as a batch
		time.Sleep(time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	for !b.shut.Load() {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while direct calls were running")
	default:
	}
	close(gate)
	<-closed
	wg.Wait()
	if maxIn.Load() != 2 {
		t.Errorf("%d direct calls at once, want MaxDirect = 2", maxIn.Load())
	}
	if _, _, err := b.Do(context.Background(), rows(0, 1, 2)); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}
