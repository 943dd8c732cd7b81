package batch

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/inferd/inferd/tensor"
)

// lead forms batches from the queue and runs them on instance until own
// is in one (or has left the queue), then hands the instance on.
func (b *Batcher) lead(instance int, own *request) {
	for {
		reqs := b.collect(own)
		if reqs == nil {
			break
		}
		b.execute(instance, reqs)
	}
	b.handOff(instance)
}

// handOff gives instance to the oldest queued request without one, whose
// goroutine then leads, or frees it when there is none.
func (b *Batcher) handOff(instance int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.queue {
		if !r.led {
			r.led = true
			r.lead <- instance // buffered, and led makes it the only send
			return
		}
	}
	b.free = append(b.free, instance)
	if len(b.free) == b.cfg.Instances {
		b.drained.Broadcast()
	}
}

// passOn hands on an instance that was sent to req, leaving, and not used.
func (b *Batcher) passOn(req *request) {
	select {
	case instance := <-req.lead:
		b.handOff(instance)
	default:
	}
}

// collect waits for a batch to be due and takes it from the queue: when it
// holds MaxBatchSize rows, reaches a preferred size, or its oldest request
// has waited MaxQueueDelay, or the batcher is closing. It returns nil once
// own is in a batch or has left the queue (its context ended meanwhile).
func (b *Batcher) collect(own *request) []*request {
	for {
		b.mu.Lock()
		if own.taken {
			b.mu.Unlock()
			return nil
		}
		head := b.queue[0] // own is queued, so the queue is not empty
		picked, rows := b.pick(head)
		wait := time.Until(head.enq.Add(b.cfg.MaxQueueDelay))
		if rows >= b.cfg.MaxBatchSize || slices.Contains(b.cfg.PreferredBatchSizes, rows) || wait <= 0 || b.closed {
			for _, r := range picked {
				r.taken = true
				b.remove(r)
			}
			n := len(b.queue)
			b.mu.Unlock()
			if n > 0 {
				b.signal() // the rest may be due for another leader
			}
			if b.obs != nil {
				b.obs.QueueLength(n)
			}
			return picked
		}
		b.mu.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-b.wake:
		case <-timer.C:
		case <-own.ctx.Done():
			b.mu.Lock()
			if !own.taken {
				b.remove(own)
				b.mu.Unlock()
				timer.Stop()
				return nil
			}
			b.mu.Unlock()
		}
		timer.Stop()
	}
}

// pick chooses, in queue order, the requests that can join head's batch:
// same signature, and rows adding up to at most MaxBatchSize. A request
// larger than MaxBatchSize goes alone. b.mu is held.
func (b *Batcher) pick(head *request) ([]*request, int) {
	if head.rows >= b.cfg.MaxBatchSize {
		return []*request{head}, head.rows
	}
	picked, rows := []*request{head}, head.rows
	for _, r := range b.queue[1:] {
		if r.sig != head.sig || rows+r.rows > b.cfg.MaxBatchSize {
			continue
		}
		picked = append(picked, r)
		rows += r.rows
		if rows == b.cfg.MaxBatchSize {
			break
		}
	}
	return picked, rows
}

// execute runs one batch and hands each request its rows of the outputs.
func (b *Batcher) execute(instance int, reqs []*request) {
	start := time.Now()
	rows := 0
	for _, r := range reqs {
		rows += r.rows
	}
	var (
		out map[string]*tensor.Tensor
		err error
	)
	inputs := reqs[0].inputs
	ctx := reqs[0].ctx
	if len(reqs) > 1 {
		// A batch outlives any one client: it is not cancelled when one leaves.
		ctx = context.WithoutCancel(ctx)
		inputs, err = concatInputs(reqs)
	}
	if err == nil {
		out, err = b.run(ctx, instance, inputs)
	}
	compute := time.Since(start)
	if b.obs != nil {
		b.obs.Batch(rows, compute)
	}
	parts := make([]map[string]*tensor.Tensor, len(reqs))
	switch {
	case err == nil && len(reqs) > 1:
		if split, serr := splitOutputs(out, reqs, rows); serr != nil {
			err = serr
		} else {
			parts = split
		}
	case err == nil:
		parts[0] = out
	}
	for i, r := range reqs {
		queued := start.Sub(r.enq)
		if b.obs != nil {
			b.obs.Queued(queued)
		}
		r.done <- result{out: parts[i], timing: Timing{Queue: queued, Compute: compute, Batch: rows}, err: err}
	}
}

func concatInputs(reqs []*request) (map[string]*tensor.Tensor, error) {
	inputs := make(map[string]*tensor.Tensor, len(reqs[0].inputs))
	for name := range reqs[0].inputs {
		parts := make([]*tensor.Tensor, len(reqs))
		for i, r := range reqs {
			parts[i] = r.inputs[name]
		}
		t, err := tensor.Concat(parts...)
		if err != nil {
			return nil, fmt.Errorf("batching input %q: %w", name, err)
		}
		inputs[name] = t
	}
	return inputs, nil
}

// splitOutputs cuts every output along its first dimension into the
// requests' rows.
func splitOutputs(out map[string]*tensor.Tensor, reqs []*request, rows int) ([]map[string]*tensor.Tensor, error) {
	sizes := make([]int, len(reqs))
	for i, r := range reqs {
		sizes[i] = r.rows
	}
	parts := make([]map[string]*tensor.Tensor, len(reqs))
	for i := range parts {
		parts[i] = make(map[string]*tensor.Tensor, len(out))
	}
	for name, t := range out {
		if t.Rank() == 0 || t.Shape()[0] != rows {
			return nil, fmt.Errorf("output %q has shape %v for a batch of %d rows: the model cannot be batched", name, t.Shape(), rows)
		}
		pieces, err := tensor.Split(t, sizes)
		if err != nil {
			return nil, err
		}
		for i, p := range pieces {
			parts[i][name] = p
		}
	}
	return parts, nil
}
