package batch

import (
	"context"
	"slices"
	"time"

	"github.com/inferd/inferd/tensor"
)

// A request that would start at once anyway (the queue is empty, an
// instance is free, and its batch would not wait for companions) skips
// the queue: it runs on the free instance straight away, with no request
// record, no channels and no output split. What it pays for batching is
// two uncontended lock sections and one clock read more than a call
// without batching.

// startAlone takes a free instance for a request of rows rows that would
// start at once if queued, and returns it; -1 if the request must queue.
// It fails with ErrClosed after Close.
func (b *Batcher) startAlone(rows int) (int, error) {
	if b.queued.Load() > 0 || b.idle.Load() == 0 {
		return -1, nil // the usual case under load: no lock taken
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return -1, ErrClosed
	case len(b.queue) > 0 || len(b.free) == 0 || !b.dueAlone(rows):
		return -1, nil
	}
	return b.popFreeLocked(), nil
}

// dueAlone reports whether a batch of one request of rows rows, formed
// now, would start without waiting (takeLocked's rules, before the
// instance is taken). b.mu is held.
func (b *Batcher) dueAlone(rows int) bool {
	return rows >= b.cfg.MaxBatchSize || b.cfg.MaxQueueDelay <= 0 ||
		slices.Contains(b.cfg.PreferredBatchSizes, rows) ||
		(len(b.free) == b.cfg.Instances && b.allIn()) ||
		b.cost.maxWait(b.cfg.MaxQueueDelay, b.policy.waiting()) <= 0
}

// runAlone runs a request that arrived at start on instance, which it
// holds, and hands the instance on.
func (b *Batcher) runAlone(ctx context.Context, instance int, inputs map[string]*tensor.Tensor, rows int, start time.Time) (map[string]*tensor.Tensor, Timing, error) {
	b.running.Add(1)
	out, err := b.run(ctx, instance, inputs)
	b.finished()
	compute := time.Since(start)
	b.handOff(instance)
	b.policy.done(1, start.Add(compute))
	if err == nil {
		b.cost.observe(rows, compute)
	}
	if b.obs != nil {
		b.obs.Batch(rows, compute)
		b.obs.Queued(0)
	}
	return out, Timing{Compute: compute, Batch: rows}, err
}
