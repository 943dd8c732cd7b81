package batch

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// The batcher waits for companions only when waiting is predicted to pay,
// and measured to (policy.go). A request that joins a batch instead of
// running in a later one saves that batch's fixed cost (the part of a
// call's time that does not grow with its rows: dispatch, the engine's
// per-call overhead, weights read once per call). Waiting for it costs
// the gap until it arrives, besides wake-ups, a concatenation and a split;
// whether the wait itself costs anything depends on the load: while other
// requests keep the cores busy (reading, decoding, answering), an
// instance waiting for a companion idles no core, and every companion is
// a fixed cost saved; at low load the wait is only latency. So once the
// traffic has been seen, a batch waits only while the epoch's policy
// allows waiting (it measured better than not waiting, which tells the
// two loads apart), and only when the companions expected in a short wait
// (the expected gap until the next request, but never longer than a call
// of one row takes, and at least one fixed cost when requests come faster
// than that) save more fixed costs than the queue costs the batch's
// requests (queueCost each; a waiting batch takes every request through
// the queue, none runs alone): a model whose calls cost little more than
// the queue (the digits CNN, about 11 µs) never waits. The earlier rule,
// waiting only while the gap was shorter than the fixed cost, never
// waited for the transformer encoder at 8 connections (gap 90-120 µs,
// fixed cost 25-77 µs): its batches there had 1.15 rows per request, and
// 2.5-3 with this gate, for about 10% less CPU per request.
//
// A batch that waits fills: it waits up to MaxQueueDelay, and starts as
// soon as it is full, reaches a preferred size, or no companion can come
// (allIn, alone.go). Waiting only the short wait gave the transformer
// encoder at 64 connections batches of 6-9 rows, and a third of its
// requests ran alone: in a closed loop a batch's answers go out together
// and the next requests trickle back one by one, so the first of them
// found the model with nothing else in flight and ran at once. Judged
// against the usual number of requests in flight, they wait for the
// others instead, and the batches have 12-17 rows.
//
// Both figures are learned from the traffic: the gap as a moving average
// of the time between arrivals, the fixed cost and the cost per row as
// the intercept and slope of a line fitted, with exponentially fading
// weights, to the calls' durations against their rows. On a contended CPU
// the fit drifts (the same benchmark learned 17 to 350 µs), which the
// measured policy makes harmless: a rule that loses is switched off.
// Until the calls have varied enough in size to fit the line, the
// configured delay applies as is.
//
// At low load a request starts at once (alone.go): batching then costs
// nothing against no batching. Under load requests gather in the queue
// while the instances are busy, so batches form without waiting; where
// waiting pays (an engine-bound model under load) batches also wait to
// fill.

const (
	// costDecay is the weight the fit keeps of the past at each call
	// (about the last 64 calls count).
	costDecay = 1 - 1.0/64
	// gapWeight is the weight of a new gap in the arrival average.
	gapWeight = 1.0 / 16
	// minRowSpread is the least variance of the calls' rows (in the
	// fit's fading weights) for its intercept to mean anything.
	minRowSpread = 0.25
	// queueCost is what a request pays for going through the queue
	// instead of running alone: wake-ups, a concatenation and a split,
	// the record and its channels (a few µs of CPU on the 2-vCPU
	// reference machine; the digits CNN, whose calls' fixed cost is
	// about 11 µs, served 3-6% fewer requests at 8 and 64 connections
	// when its batches waited for companions).
	queueCost = 5 * time.Microsecond
)

// costModel fits call duration = fixed + perRow × rows to the calls seen.
type costModel struct {
	mu                  sync.Mutex
	w, sx, sy, sxx, sxy float64 // faded sums of weights, rows, seconds
	fixedNs, perRowNs   atomic.Int64
	arrivalsMu          sync.Mutex
	lastArrival         time.Time
	gapNs               atomic.Int64
	// loadMilli is the moving average of the requests in flight to the
	// model at an arrival (Config.InFlight), in thousandths.
	loadMilli               atomic.Int64
	haveFixed, haveArrivals atomic.Bool
}

// observe adds one call of rows rows that took d.
func (m *costModel) observe(rows int, d time.Duration) {
	x, y := float64(rows), d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.w = m.w*costDecay + 1
	m.sx = m.sx*costDecay + x
	m.sy = m.sy*costDecay + y
	m.sxx = m.sxx*costDecay + x*x
	m.sxy = m.sxy*costDecay + x*y
	mx, my := m.sx/m.w, m.sy/m.w
	vx := m.sxx/m.w - mx*mx
	if vx < minRowSpread {
		return // keep the last estimate: the rows have not varied enough
	}
	slope := (m.sxy/m.w - mx*my) / vx
	fixed := math.Min(math.Max(my-slope*mx, 0), my)
	m.fixedNs.Store(int64(fixed * 1e9))
	m.perRowNs.Store(int64(math.Max(slope, 0) * 1e9))
	m.haveFixed.Store(true)
}

// arrived records a request's arrival at t, with inflight requests in
// flight to the model (itself included).
func (m *costModel) arrived(t time.Time, inflight int) {
	m.arrivalsMu.Lock()
	defer m.arrivalsMu.Unlock()
	old := m.loadMilli.Load()
	m.loadMilli.Store(old + int64(gapWeight*float64(int64(inflight)*1000-old)))
	if !m.lastArrival.IsZero() {
		gap := float64(t.Sub(m.lastArrival))
		if old := m.gapNs.Load(); m.haveArrivals.Load() {
			gap = float64(old) + gapWeight*(gap-float64(old))
		}
		m.gapNs.Store(int64(gap))
		m.haveArrivals.Store(true)
	}
	m.lastArrival = t
}

// maxWait returns how long a batch may wait for companions (the rule
// above): delay when the short wait passes the gate, else 0; mayWait is
// the epoch's policy (policy.go).
func (m *costModel) maxWait(delay time.Duration, mayWait bool) time.Duration {
	if m.shortWait(delay, mayWait) > 0 {
		return delay
	}
	return 0
}

// shortWait returns the short wait that the gate judges (the rule above),
// or 0 when it does not pay or the policy does not allow waiting; delay
// until the estimates are known.
func (m *costModel) shortWait(delay time.Duration, mayWait bool) time.Duration {
	fixed, gap, haveFixed, haveGap := m.estimates()
	switch {
	case !haveFixed || !haveGap:
		return delay
	case !mayWait:
		return 0
	}
	call := fixed + time.Duration(m.perRowNs.Load()) // a call of one row
	wait := min(delay, max(fixed, min(gap, call)))
	// Companions expected in the wait: wait/gap, each saving a fixed
	// cost; every request of the batch pays queueCost.
	if float64(fixed)*float64(wait) <= float64(queueCost)*float64(gap+wait) {
		return 0
	}
	return wait
}

// usualLoad returns the moving average of the requests in flight at an
// arrival, in thousandths.
func (m *costModel) usualLoad() int64 { return m.loadMilli.Load() }

// estimates returns the learned fixed cost of a call and the mean gap
// between arrivals, and whether each is known yet.
func (m *costModel) estimates() (fixed, gap time.Duration, haveFixed, haveGap bool) {
	return time.Duration(m.fixedNs.Load()), time.Duration(m.gapNs.Load()), m.haveFixed.Load(), m.haveArrivals.Load()
}
