package server

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// Memory budgets. Every inference request reserves, before it allocates,
// the bytes it will need: its body (from Content-Length, or the gRPC
// message size) and then, as decoding learns them from declared shapes,
// JSON element counts and image headers, the tensors and decoded images.
// A request whose reservation would pass the per-request budget is
// refused with 413; one that finds the server-wide budget of bytes in
// flight spent is refused with 429 (gRPC RESOURCE_EXHAUSTED) at once,
// never queued. The reservation is given back when the answer is written.

const (
	// DefaultMaxRequestMemoryBytes is the default per-request budget.
	DefaultMaxRequestMemoryBytes = 512 << 20
	// DefaultMaxInflightMemoryBytes is the default budget of bytes held
	// by all requests in flight together.
	DefaultMaxInflightMemoryBytes = 2 << 30
)

// Memory returned to the operating system after large requests.
const (
	// freeOver is the reservation above which a finished request has its
	// memory given back to the operating system (debug.FreeOSMemory) once
	// the bytes in flight have fallen below it again (the burst is over).
	freeOver = 64 << 20
	// freeEvery is the least time between two such returns: each is a
	// full, stop-the-world-heavy collection.
	freeEvery = 10 * time.Second
	// freeDelay lets the answers of the burst be written and their
	// memory become garbage before it is returned.
	freeDelay = time.Second
)

// memBudget is the server-wide budget: a semaphore of bytes that never
// waits.
type memBudget struct {
	perRequest, limit int64

	mu       sync.Mutex
	used     int64
	lastFree time.Time
	big      bool // a request over freeOver finished since the last return
	pending  bool // a FreeOSMemory is scheduled
	free     func()
}

func newMemBudget(perRequest, inflight int64) *memBudget {
	return &memBudget{perRequest: perRequest, limit: inflight, free: debug.FreeOSMemory}
}

// tryAcquire takes n bytes if they are free now.
func (b *memBudget) tryAcquire(n int64) (ok bool, used int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.limit {
		return false, b.used
	}
	b.used += n
	return true, b.used
}

// release gives n bytes back. Once requests that held more than freeOver
// have finished and the bytes in flight are below freeOver again, the
// freed memory goes back to the operating system, at most once per
// freeEvery (a return due sooner is delayed, not dropped).
func (b *memBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	b.big = b.big || n >= freeOver
	if !b.big || b.used >= freeOver || b.pending {
		return
	}
	b.big, b.pending = false, true
	wait := max(freeEvery-time.Since(b.lastFree), freeDelay)
	time.AfterFunc(wait, func() {
		b.free()
		b.mu.Lock()
		b.lastFree, b.pending = time.Now(), false
		b.mu.Unlock()
	})
}

// inUse is the bytes reserved now.
func (b *memBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// reservation is one request's share of the budget. Its methods are safe
// on a nil reservation, which charges nothing.
type reservation struct {
	b    *memBudget
	mu   sync.Mutex
	held int64
}

// newReservation starts a request's reservation.
func (b *memBudget) newReservation() *reservation { return &reservation{b: b} }

// charge reserves n more bytes for what (a description such as `input
// "x" (FP32[4, 3])`): 413 when the request would hold more than the
// per-request budget, 429 when the server's budget cannot give them now.
func (r *reservation) charge(n int64, what string) error {
	return r.chargeFor(n, func() string { return what })
}

// chargeFor is charge with the description made only for an error.
func (r *reservation) chargeFor(n int64, describe func() string) error {
	if r == nil || n <= 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.b
	if r.held+n > b.perRequest {
		return errorf(http.StatusRequestEntityTooLarge, "%s needs about %s of memory (the request would hold %s), over the per-request memory limit of %s (--max-request-memory-bytes)",
			describe(), humanBytes(n), humanBytes(r.held+n), humanBytes(b.perRequest))
	}
	ok, used := b.tryAcquire(n)
	if !ok {
		return errorf(http.StatusTooManyRequests, "server busy: %s needs about %s of memory and %s of the %s memory budget for requests in flight is taken (--max-inflight-memory-bytes); retry later",
			describe(), humanBytes(n), humanBytes(used), humanBytes(b.limit))
	}
	r.held += n
	return nil
}

// done gives the whole reservation back.
func (r *reservation) done() {
	if r == nil {
		return
	}
	r.mu.Lock()
	n := r.held
	r.held = 0
	r.mu.Unlock()
	r.b.release(n)
}

type reservationKey struct{}

// withReservation puts r in ctx.
func withReservation(ctx context.Context, r *reservation) context.Context {
	return context.WithValue(ctx, reservationKey{}, r)
}

// reservationOf is the request's reservation (nil: none, charges nothing).
func reservationOf(ctx context.Context) *reservation {
	r, _ := ctx.Value(reservationKey{}).(*reservation)
	return r
}

// chargeFunc adapts r to the codec's charge callback (nil for nil r).
func (r *reservation) chargeFunc() func(int64, string) error {
	if r == nil {
		return nil
	}
	return r.charge
}

// humanBytes formats n as bytes, KiB, MiB or GiB.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
