package batch

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/inferd/inferd/tensor"
)

// worker forms batches from the queue and runs them until Close.
func (b *Batcher) worker(instance int) {
	defer b.wg.Done()
	for {
		reqs := b.collect()
		if reqs == nil {
			return
		}
		b.execute(instance, reqs)
	}
}

// collect waits for a batch to be due and takes it from the queue: when it
// holds MaxBatchSize rows, reaches a preferred size, or its oldest request
// has waited MaxQueueDelay. It returns nil once closed with an empty queue.
func (b *Batcher) collect() []*request {
	for {
		b.mu.Lock()
		if len(b.queue) == 0 {
			closed := b.closed
			b.mu.Unlock()
			if closed {
				return nil
			}
			select {
			case <-b.wake:
			case <-b.quit:
			}
			continue
		}
		head := b.queue[0]
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
				b.signal() // the rest may be due for another worker
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
		case <-b.quit:
		case <-timer.C:
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
