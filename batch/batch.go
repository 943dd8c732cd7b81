package batch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// ErrQueueFull is returned at once when the queue holds MaxQueueSize
// requests (HTTP 429, gRPC RESOURCE_EXHAUSTED).
var ErrQueueFull = errors.New("queue full")

// ErrClosed is returned for requests made after Close.
var ErrClosed = errors.New("batcher closed")

// Runner executes one (batched) call. instance is the worker running it,
// in [0, Instances).
type Runner func(ctx context.Context, instance int, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error)

// Config sets how requests are grouped.
type Config struct {
	// MaxBatchSize is the most rows (first-dimension elements) in one call.
	MaxBatchSize int
	// MaxQueueDelay is how long the oldest request may wait for others:
	// an upper bound. Once the traffic has shown the calls' costs and
	// the gap between requests, a batch waits only as long as the
	// companions expected meanwhile pay for it (adaptive.go).
	MaxQueueDelay time.Duration
	// PreferredBatchSizes dispatch a batch as soon as it reaches one of
	// these sizes, without waiting for the delay.
	PreferredBatchSizes []int
	// MaxQueueSize bounds the requests waiting; 0 means 1024.
	MaxQueueSize int
	// Instances is the number of calls run in parallel; 0 means 1.
	Instances int
	// InFlight, if set, counts the requests admitted to the model that
	// may yet call Do (those being read and decoded, and those inside Do).
	// When every one of them is already inside Do and no other batch is
	// running, waiting for MaxQueueDelay cannot gather more, and a batch
	// starts at once: the delay then costs nothing to a lone request.
	InFlight func() int
}

// Timing says where a request spent its time: Queue from Do to the start
// of its call, Compute the call's duration, Batch the rows of that call.
type Timing = runner.Timing

// Observer receives one record per call and per rejected request (for
// metrics). Its methods must be cheap and safe for concurrent use.
type Observer interface {
	Batch(rows int, compute time.Duration)
	Queued(d time.Duration)
	QueueLength(n int)
	Rejected()
}

// PolicyObserver, when the Observer implements it too, receives the wait
// policy's state at the start of every epoch (policy.go): whether batches
// may wait for companions in it, and the measured ratio of requests
// answered per second waiting over not waiting (1 before the first
// comparison).
type PolicyObserver interface {
	Policy(waiting bool, gain float64)
}

type request struct {
	ctx    context.Context
	inputs map[string]*tensor.Tensor
	rows   int
	sig    []byte // equal for requests that can share a batch
	enq    time.Time
	taken  bool          // in a batch (b.mu)
	left   bool          // withdrawn from the queue: its context ended (b.mu)
	poke   chan struct{} // an instance was freed: try to lead
	// inBatch wakes the request's goroutine when, leading and waiting for
	// companions, another leader took the request into its batch.
	inBatch chan struct{}
	done    chan result
	// Reused by the request while it leads (record.go).
	timer  *time.Timer
	picked []*request
}

type result struct {
	out    map[string]*tensor.Tensor
	timing Timing
	err    error
}

// Batcher groups requests for one runner. It has no goroutines of its
// own: the calls run on the goroutines of the requests themselves. A
// request that finds an instance free leads: it forms batches from the
// queue (oldest first) and runs them until its own request is answered,
// then frees the instance and pokes the oldest waiting request, so that
// either it or a request arriving meanwhile takes the instance, whichever
// runs first. An idle batcher thus runs a request at once on the caller's
// goroutine, and under load the next batch starts on a goroutine that is
// already running, instead of waiting for one to be scheduled among
// hundreds of request goroutines.
type Batcher struct {
	cfg Config
	run Runner
	obs Observer

	mu      sync.Mutex
	queue   []*request
	free    []int         // instances no leader holds
	wake    chan struct{} // a request arrived, for leaders waiting to fill a batch
	closed  bool
	drained *sync.Cond // signalled when an instance is freed or a request leaves the queue
	// queued and idle mirror len(queue) and len(free) for the checks
	// that requests being turned away make without the lock (under
	// overload they are most requests; taking the lock each would slow
	// the leaders down).
	queued, idle atomic.Int64
	// inside counts the requests in Do, for Config.InFlight; running
	// the calls in progress.
	inside, running atomic.Int64
	// cost learns the calls' fixed cost and the gap between arrivals,
	// to decide whether a batch waits for companions (adaptive.go);
	// policy measures whether waiting pays (policy.go).
	cost   costModel
	policy waitPolicy
}

// New returns a batcher with cfg.Instances instances.
func New(cfg Config, run Runner, obs Observer) (*Batcher, error) {
	if cfg.MaxBatchSize <= 0 {
		return nil, fmt.Errorf("max_batch_size must be positive, got %d", cfg.MaxBatchSize)
	}
	if cfg.MaxQueueDelay < 0 {
		return nil, fmt.Errorf("max_queue_delay must not be negative")
	}
	if cfg.MaxQueueSize <= 0 {
		cfg.MaxQueueSize = 1024
	}
	if cfg.Instances <= 0 {
		cfg.Instances = 1
	}
	cfg.PreferredBatchSizes = slices.Sorted(slices.Values(cfg.PreferredBatchSizes))
	b := &Batcher{cfg: cfg, run: run, obs: obs, wake: make(chan struct{}, cfg.Instances)}
	if po, ok := obs.(PolicyObserver); ok {
		b.policy.report = po.Policy
	}
	b.drained = sync.NewCond(&b.mu)
	for i := cfg.Instances - 1; i >= 0; i-- {
		b.pushFreeLocked(i)
	}
	return b, nil
}

// Do queues a request and waits for its share of the batched call. Every
// input must have the batch as its first dimension, the same size in all
// inputs. A request larger than MaxBatchSize runs alone, unsplit. If ctx
// ends while the request waits in the queue, it leaves the queue.
func (b *Batcher) Do(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, Timing, error) {
	rows, err := batchRows(inputs)
	if err != nil {
		return nil, Timing{}, err
	}
	b.inside.Add(1)
	defer b.inside.Add(-1)
	now := time.Now()
	b.cost.arrived(now, b.inFlight())
	if instance, err := b.startAlone(rows); err != nil || instance >= 0 {
		if err != nil {
			return nil, Timing{}, err
		}
		return b.runAlone(ctx, instance, inputs, rows, now)
	}
	req := newRequest(ctx, inputs, rows, now)
	b.mu.Lock()
	switch {
	case b.closed:
		b.mu.Unlock()
		req.release()
		return nil, Timing{}, ErrClosed
	case len(b.queue) >= b.cfg.MaxQueueSize:
		b.mu.Unlock()
		req.release()
		return nil, Timing{}, b.reject()
	}
	b.queue = append(b.queue, req)
	n := len(b.queue)
	b.queued.Store(int64(n))
	instance := -1
	if len(b.free) > 0 {
		instance = b.popFreeLocked()
	}
	b.mu.Unlock()
	if b.obs != nil {
		b.obs.QueueLength(n)
	}
	if instance >= 0 {
		b.lead(instance, req)
	} else {
		b.signal() // a leader may be waiting to fill a batch
	}
	r := b.await(req)
	req.release()
	return r.out, r.timing, r.err
}

// await waits for req's answer, leading when poked and an instance is
// free. If req's context ends while it waits in the queue, it leaves the
// queue.
func (b *Batcher) await(req *request) result {
	for {
		select {
		case r := <-req.done:
			b.leave(req)
			return r
		case <-req.poke:
			b.mu.Lock()
			if !req.taken && !req.left && len(b.free) > 0 {
				instance := b.popFreeLocked()
				b.mu.Unlock()
				b.lead(instance, req)
				continue
			}
			b.mu.Unlock()
		case <-req.ctx.Done():
			if b.withdraw(req) {
				b.leave(req)
				return result{timing: Timing{Queue: time.Since(req.enq)}, err: req.ctx.Err()}
			}
			// Already in a batch: its answer comes (the call outlives
			// any one client).
			r := <-req.done
			b.leave(req)
			return r
		}
	}
}

// Admit reports ErrQueueFull (and counts the rejection) when the queue is
// full, so that a server can turn a request away before it reads and
// decodes it. Do still checks: the queue may fill in between.
func (b *Batcher) Admit() error {
	if b.queued.Load() < int64(b.cfg.MaxQueueSize) {
		return nil
	}
	return b.reject()
}

// reject counts a request turned away for a full queue, runs a batch for
// the queue if an instance is free (see help), and returns the error.
func (b *Batcher) reject() error {
	if b.obs != nil {
		b.obs.Rejected()
	}
	b.help()
	return fmt.Errorf("%w: %d requests are waiting (max_queue_size)", ErrQueueFull, b.cfg.MaxQueueSize)
}

// inFlight returns the requests in flight to the model (Config.InFlight),
// or those in Do when it is not set.
func (b *Batcher) inFlight() int {
	if b.cfg.InFlight != nil {
		return b.cfg.InFlight()
	}
	return int(b.inside.Load())
}

func (b *Batcher) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// withdraw takes req out of the queue unless it is already in a batch,
// and reports whether it did.
func (b *Batcher) withdraw(req *request) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if req.taken {
		return false
	}
	req.left = true // a poke it has yet to read must not make it lead
	b.remove(req)
	b.drained.Broadcast()
	return true
}

// remove drops req from the queue; b.mu is held.
func (b *Batcher) remove(req *request) {
	if i := slices.Index(b.queue, req); i >= 0 {
		b.queue = slices.Delete(b.queue, i, i+1)
		b.queued.Store(int64(len(b.queue)))
	}
}

// popFreeLocked takes a free instance (there is one); b.mu is held.
func (b *Batcher) popFreeLocked() int {
	i := b.free[len(b.free)-1]
	b.free = b.free[:len(b.free)-1]
	b.idle.Store(int64(len(b.free)))
	return i
}

// pushFreeLocked frees instance i; b.mu is held.
func (b *Batcher) pushFreeLocked(i int) {
	b.free = append(b.free, i)
	b.idle.Store(int64(len(b.free)))
}

// Close stops accepting requests, lets the queued ones run, and waits for
// the calls in progress.
func (b *Batcher) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	for range b.cfg.Instances { // leaders waiting to fill a batch: run it now
		b.signal()
	}
	b.mu.Lock()
	for len(b.free) < b.cfg.Instances || len(b.queue) > 0 {
		b.drained.Wait()
	}
	b.mu.Unlock()
}

// batchRows returns the batch size of a request: the first dimension,
// which every input must have and agree on. Its errors name inputs in name
// order, the same every time whatever the map's order: the first scalar,
// else the first whose rows differ from those of the first input.
func batchRows(inputs map[string]*tensor.Tensor) (int, error) {
	if scalar, ok := firstNamed(inputs, isScalar); ok {
		return 0, fmt.Errorf("input %q is a scalar; batching needs a batch dimension", scalar)
	}
	first, ok := firstNamed(inputs, func(*tensor.Tensor) bool { return true })
	if !ok {
		return 0, fmt.Errorf("request has no rows to batch")
	}
	rows := inputs[first].Shape()[0]
	if odd, ok := firstNamed(inputs, func(t *tensor.Tensor) bool { return t.Shape()[0] != rows }); ok {
		return 0, fmt.Errorf("inputs disagree on the batch size: %q has %d rows, %q has %d", odd, inputs[odd].Shape()[0], first, rows)
	}
	if rows <= 0 {
		return 0, fmt.Errorf("request has no rows to batch")
	}
	return rows, nil
}

func isScalar(t *tensor.Tensor) bool { return t.Rank() == 0 }

// firstNamed returns the first name, in order, of the inputs for which f
// holds.
func firstNamed(inputs map[string]*tensor.Tensor, f func(*tensor.Tensor) bool) (string, bool) {
	first, found := "", false
	for name, t := range inputs {
		if (!found || name < first) && f(t) {
			first, found = name, true
		}
	}
	return first, found
}
