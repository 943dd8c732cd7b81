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
// the gap until it arrives, during which an instance idles, besides
// wake-ups, a concatenation and a split. So once the traffic has been
// seen, a batch waits only while the epoch's policy allows waiting (it
// measured better than not waiting) and the expected gap between requests
// is shorter than the fixed cost of a call; and for at most that fixed
// cost (and MaxQueueDelay): a companion saves a fixed cost, so a longer
// wait cannot pay (with the gap shorter, one was expected within it; if
// none came, its requests are busy elsewhere, in another batch or waiting
// for a CPU). Both figures are learned from the traffic: the gap as a
// moving average of the time between arrivals, the fixed cost as the
// intercept of a line fitted, with exponentially fading weights, to the
// calls' durations against their rows. On a contended CPU the fit drifts
// (the same benchmark learned 17 to 350 µs), which the measured policy
// makes harmless: a rule that loses is switched off. Until the calls have
// varied enough in size to fit the line, the configured delay applies as
// is. A leader also stops waiting once no companion can come
// (noneComing).
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
)

// costModel fits call duration = fixed + perRow × rows to the calls seen.
type costModel struct {
	mu                      sync.Mutex
	w, sx, sy, sxx, sxy     float64 // faded sums of weights, rows, seconds
	fixedNs                 atomic.Int64
	arrivalsMu              sync.Mutex
	lastArrival             time.Time
	gapNs                   atomic.Int64
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
	m.haveFixed.Store(true)
}

// arrived records a request's arrival at t.
func (m *costModel) arrived(t time.Time) {
	m.arrivalsMu.Lock()
	defer m.arrivalsMu.Unlock()
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
// above); mayWait is the epoch's policy (policy.go).
func (m *costModel) maxWait(delay time.Duration, mayWait bool) time.Duration {
	fixed, gap, haveFixed, haveGap := m.estimates()
	switch {
	case !haveFixed || !haveGap:
		return delay
	case !mayWait || gap >= fixed:
		return 0
	}
	return min(delay, fixed)
}

// estimates returns the learned fixed cost of a call and the mean gap
// between arrivals, and whether each is known yet.
func (m *costModel) estimates() (fixed, gap time.Duration, haveFixed, haveGap bool) {
	return time.Duration(m.fixedNs.Load()), time.Duration(m.gapNs.Load()), m.haveFixed.Load(), m.haveArrivals.Load()
}
