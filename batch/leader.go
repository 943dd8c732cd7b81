package batch

import (
	"bytes"
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

// handOff frees instance and pokes the oldest waiting request to take it,
// unless a request arriving meanwhile does first.
func (b *Batcher) handOff(instance int) {
	b.mu.Lock()
	b.pushFreeLocked(instance)
	b.drained.Broadcast()
	b.pokeLocked()
	b.mu.Unlock()
}

// pokeLocked wakes the oldest queued request when an instance is free;
// b.mu is held.
func (b *Batcher) pokeLocked() {
	if len(b.free) > 0 && len(b.queue) > 0 {
		select {
		case b.queue[0].poke <- struct{}{}:
		default: // already poked
		}
	}
}

// leave is called by a request leaving (answered or cancelled, out of the
// queue): a poke it did not act on goes to the next oldest.
func (b *Batcher) leave(req *request) {
	if len(req.poke) > 0 {
		b.mu.Lock()
		b.pokeLocked()
		b.mu.Unlock()
	}
}

// collect waits for a batch to be due and takes it from the queue. It
// returns nil once own is in a batch or has left the queue (its context
// ended meanwhile).
func (b *Batcher) collect(own *request) []*request {
	for {
		b.mu.Lock()
		if own.taken || own.left {
			b.mu.Unlock()
			return nil
		}
		picked, wait := b.takeLocked(own.picked[:0]) // own is queued: the queue is not empty
		b.mu.Unlock()
		if picked != nil {
			own.picked = picked
			return picked
		}
		own.wait(wait, b.wake)
		if own.ctx.Err() != nil && b.withdraw(own) {
			return nil
		}
	}
}

// takeLocked takes the batch at the head of the (non-empty) queue if it is
// due: MaxBatchSize rows, a preferred size, its oldest request waited
// MaxQueueDelay, the batcher is closing, no companion can come
// (noneComing) or waiting is not predicted to pay (adaptive.go).
// Otherwise it returns nil and how long until the delay passes. b.mu is
// held.
func (b *Batcher) takeLocked(buf []*request) ([]*request, time.Duration) {
	head := b.queue[0]
	picked, rows := b.pick(head, buf)
	if rows < b.cfg.MaxBatchSize && !slices.Contains(b.cfg.PreferredBatchSizes, rows) && !b.closed && !b.noneComing() {
		if wait := time.Until(head.enq.Add(b.cost.maxWait(b.cfg.MaxQueueDelay, b.policy.waiting()))); wait > 0 {
			return nil, wait
		}
	}
	for _, r := range picked {
		r.taken = true
		b.remove(r)
		select {
		case r.inBatch <- struct{}{}: // in case it leads, waiting: it is done
		default:
		}
	}
	n := len(b.queue)
	if n > 0 {
		b.signal() // the rest may be due for another leader
	}
	if b.obs != nil {
		b.obs.QueueLength(n)
	}
	return picked, 0
}

// noneComing reports, for a leader holding an instance, that waiting for
// companions is pointless: allIn, and no batch is running whose requests'
// clients could soon send more (other leaders may hold instances, waiting
// like this one). b.mu is held.
func (b *Batcher) noneComing() bool {
	return b.running.Load() == 0 && b.allIn()
}

// allIn reports that every request admitted to the model is already in Do
// (Config.InFlight) and that they are at least as many as are usually in
// flight at an arrival (costModel.usualLoad): under concurrent load a
// moment with nothing else in flight is the gap between a batch's answers
// and its clients' next requests, not the end of the traffic. The usual
// load is compared rounded to whole requests: the integer moving average
// settles anywhere within a few thousandths of its true value, and a lone
// client after a busy spell must count as all in.
func (b *Batcher) allIn() bool {
	if b.cfg.InFlight == nil {
		return false
	}
	inside := b.inside.Load()
	return int64(b.cfg.InFlight()) <= inside && inside >= (b.cost.usualLoad()+500)/1000
}

// finished counts a call's end; when it was the last one running, a
// leader waiting for companions may find that none can come (noneComing).
func (b *Batcher) finished() {
	if b.running.Add(-1) == 0 && b.queued.Load() > 0 {
		b.signal()
	}
}

// help runs one due batch if an instance is free: a request turned away
// (the queue is full) lends its goroutine to the queue, so that the engine
// does not idle while the waiting requests' goroutines wait to be
// scheduled behind the ones being turned away.
func (b *Batcher) help() {
	if b.idle.Load() == 0 {
		return // the usual case under load: every instance is busy
	}
	b.mu.Lock()
	if len(b.free) == 0 || len(b.queue) == 0 {
		b.mu.Unlock()
		return
	}
	instance := b.popFreeLocked()
	picked, _ := b.takeLocked(nil)
	b.mu.Unlock()
	if picked != nil {
		b.execute(instance, picked)
	}
	b.handOff(instance)
}

// pick chooses, in queue order, the requests that can join head's batch:
// same signature, and rows adding up to at most MaxBatchSize. A request
// larger than MaxBatchSize goes alone. It appends them to buf. b.mu is
// held.
func (b *Batcher) pick(head *request, buf []*request) ([]*request, int) {
	picked, rows := append(buf, head), head.rows
	if head.rows >= b.cfg.MaxBatchSize {
		return picked, rows
	}
	for _, r := range b.queue[1:] {
		if !bytes.Equal(r.sig, head.sig) || rows+r.rows > b.cfg.MaxBatchSize {
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
		b.running.Add(1)
		out, err = b.run(ctx, instance, inputs)
		b.finished()
	}
	compute := time.Since(start)
	if err == nil {
		b.cost.observe(rows, compute)
	}
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
	b.policy.done(len(reqs), start.Add(compute))
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
