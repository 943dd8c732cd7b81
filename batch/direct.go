package batch

import (
	"context"
	"time"

	"github.com/inferd/inferd/tensor"
)

// Batching is measured against no batching itself (policy.go): in the
// epochs that do not batch, a request runs at once on its own goroutine
// through Config.Direct, as without batching, even while other calls run
// (an engine session runs calls at once; the instances are left to the
// batches). Queueing behind a busy instance gathers batches,
// but on a CPU that the server's HTTP and decoding share with the engine
// it can cost more than the batches save (bench/run.sh's transformer at 8
// connections: batches of 3.9 rows on one instance, 0.91× the requests
// per second of no batching, the same CPU per request): the clients wait
// in the queue while a core idles. So a batcher whose batches do not pay
// serves as if it had none, but for the epochs that explore.
//
// At most MaxDirect requests run that way at once; the others queue (and
// batch), so that memory stays bounded under overload, where every
// concurrent call would hold its own working memory.

// startDirect reserves a direct call for a request when the epoch does
// not batch and fewer than MaxDirect are running, and reports whether it
// did.
func (b *Batcher) startDirect() bool {
	if b.cfg.Direct == nil || b.policy.waiting() {
		return false
	}
	for {
		n := b.direct.Load()
		if n >= int64(b.cfg.MaxDirect) {
			return false
		}
		if b.direct.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// runDirect runs a request that arrived at start at once through
// Config.Direct (startDirect reserved the call).
func (b *Batcher) runDirect(ctx context.Context, inputs map[string]*tensor.Tensor, rows int, start time.Time) (map[string]*tensor.Tensor, Timing, error) {
	defer b.endDirect()
	if b.shut.Load() {
		return nil, Timing{}, ErrClosed
	}
	b.running.Add(1)
	out, err := b.cfg.Direct(ctx, inputs)
	b.finished()
	compute := time.Since(start)
	b.policy.done(1, start.Add(compute))
	if b.obs != nil {
		b.obs.Batch(rows, compute)
		b.obs.Queued(0)
	}
	return out, Timing{Compute: compute, Batch: rows}, err
}

// endDirect ends a direct call; once the batcher is closing, it wakes
// Close, which waits for the direct calls too.
func (b *Batcher) endDirect() {
	b.direct.Add(-1)
	if b.shut.Load() {
		b.mu.Lock()
		b.drained.Broadcast()
		b.mu.Unlock()
	}
}
