package batch

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Whether waiting for companions pays is measured, not only predicted.
// Waiting saves engine time per request when companions come (each saves a
// call's fixed cost) and costs wake-ups, a concatenation and a split, and
// the latency of the wait; whether a core idles meanwhile depends on what
// else the process has to do. Which side wins differs by model (the
// transformer gains from batches of 6, the digits CNN loses, its calls
// being cheap next to a request's HTTP and decoding) and by load, and the
// wall times of calls that would predict it drift with contention (the
// same benchmark learned a fixed cost of 17 to 350 µs).
//
// So the batcher runs in epochs of about epochLength, in each of which
// batches either may wait (adaptive.go's rule) or never wait, and counts
// the requests it answers per second. Each time the policy changes between
// two epochs, the ratio of their rates (waiting over not waiting) is one
// sample of what waiting buys; the median of the last gainSamples samples
// decides the policy, with the other one run every exploreEvery-th epoch
// to notice a change in traffic. Comparing neighbouring epochs rather
// than long averages keeps a change of load between them (a client
// joining) from passing as the policy's doing; an exploration gives two
// samples, before and after, so a steady trend cancels out.
//
// Waiting is what the configuration asks for (MaxQueueDelay), so it stays
// unless not waiting measures faster by waitMargin: a tie waits. Rates of
// 25 ms epochs are noisy (consecutive epochs under one policy at 64
// connections read 10,400 to 25,200 requests per second), so ties are
// common, and a tie that went to not waiting cost where waiting paid:
// the samples of 8 connections, where the two tie, left the policy not
// waiting when the load rose to 64, until explorations there brought it
// back: in one run of bench points of 400 ms, the transformer at 64
// connections served 1.28 times the requests of no batching, against 1.44
// with waiting throughout (at 8 connections both served the same within
// the noise). For the same noise the samples are summed up by their
// median, not a moving average: one sample that spans a gap between
// clients or a stall of the machine read from 0.24 to 20 as a ratio, and
// moved the average by a quarter of its logarithm. And
// while the median is sure of its answer (beyond the threshold by
// sureMargin), the other policy is tried every exploreRarely-th epoch
// only: each epoch not waiting at 64 connections served a third fewer
// requests, so trying it one epoch in eight cost about 4%.

const (
	// epochLength is how long one policy runs before it is measured.
	epochLength = 25 * time.Millisecond
	// minEpochRequests is the least answered requests for an epoch's rate
	// to count; an epoch with fewer is extended, up to maxEpochLength,
	// after which it is dropped (traffic too sparse to matter).
	minEpochRequests = 16
	maxEpochLength   = 10 * epochLength
	// exploreEvery: every exploreEvery-th epoch runs the policy not
	// preferred; every exploreRarely-th while the gain is sure
	// (sureMargin).
	exploreEvery  = 8
	exploreRarely = 32
	// learnEpochs is how many epochs alternate the policies at first.
	learnEpochs = 6
	// gainSamples is how many of the last samples the median takes.
	gainSamples = 7
)

var (
	// waitMargin is the log of the least ratio of rates by which not
	// waiting must win to be preferred (2%).
	waitMargin = math.Log(1.02)
	// sureMargin: a gain further than this from the threshold (10% in
	// the ratio) explores rarely.
	sureMargin = math.Log(1.1)
)

// waitPolicy chooses, epoch by epoch, whether batches may wait.
type waitPolicy struct {
	wait     atomic.Bool  // batches may wait in the current epoch
	end      atomic.Int64 // when (Unix ns) the current epoch ends; 0 before the first request
	answered atomic.Int64 // requests answered in the current epoch

	mu       sync.Mutex
	start    time.Time            // of the current epoch
	epochs   int                  // epochs measured
	lastRate float64              // requests per second in the last measured epoch
	lastWait bool                 // its policy
	gain     float64              // median of the last samples of log(rate waiting / rate not waiting)
	samples  int                  // taken
	last     [gainSamples]float64 // the last samples, samples%gainSamples next
	waited   int                  // epochs measured that waited
	// report, if set, receives the policy and the gain at the start of
	// each epoch (PolicyObserver).
	report func(waiting bool, gain float64)
}

// waiting reports whether batches may wait now.
func (p *waitPolicy) waiting() bool { return p.wait.Load() }

// done counts n requests answered at now and ends the epoch if it is due.
func (p *waitPolicy) done(n int, now time.Time) {
	p.answered.Add(int64(n))
	if now.UnixNano() < p.end.Load() || !p.mu.TryLock() {
		return
	}
	defer p.mu.Unlock()
	if now.UnixNano() >= p.end.Load() { // not ended meanwhile by another
		p.endEpoch(now)
	}
}

// endEpoch measures the epoch that ends at now and starts the next; p.mu
// is held.
func (p *waitPolicy) endEpoch(now time.Time) {
	elapsed := now.Sub(p.start)
	n := p.answered.Load()
	switch {
	case p.start.IsZero(): // the first request: start measuring
	case n < minEpochRequests && elapsed < maxEpochLength:
		p.end.Store(now.Add(epochLength).UnixNano()) // too few yet: extend
		return
	case n >= minEpochRequests:
		p.measured(p.wait.Load(), float64(n)/elapsed.Seconds())
	default: // sparse traffic: drop the epoch, and the pairing across it
		p.lastRate = 0
	}
	p.wait.Store(p.next())
	if p.report != nil {
		p.report(p.wait.Load(), math.Exp(p.gain))
	}
	p.start = now
	p.answered.Store(0)
	p.end.Store(now.Add(epochLength).UnixNano())
}

// measured records an epoch's rate under policy wait; p.mu is held.
func (p *waitPolicy) measured(wait bool, rate float64) {
	if p.epochs > 0 && wait != p.lastWait && rate > 0 && p.lastRate > 0 {
		g := math.Log(rate / p.lastRate)
		if !wait {
			g = -g
		}
		p.last[p.samples%gainSamples] = g
		sorted := p.last // a copy: median reorders it
		p.gain = median(sorted[:min(p.samples+1, gainSamples)])
		p.samples++
	}
	p.epochs++
	if wait {
		p.waited++
	}
	p.lastRate, p.lastWait = rate, wait
}

// next chooses the next epoch's policy; p.mu is held.
func (p *waitPolicy) next() bool {
	if p.samples < learnEpochs-1 {
		return !p.lastWait || p.epochs == 0 // alternate, starting with waiting
	}
	prefer := p.prefersWaiting()
	every := exploreEvery
	if math.Abs(p.gain+waitMargin) > sureMargin {
		every = exploreRarely
	}
	if p.epochs%every == 0 {
		return !prefer
	}
	return prefer
}

// prefersWaiting reports whether the samples prefer waiting: unless not
// waiting measured faster by waitMargin. p.mu is held.
func (p *waitPolicy) prefersWaiting() bool { return p.gain >= -waitMargin }

// median returns the median of xs (not empty), which it reorders.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// state returns the epochs measured, how many of them waited, and the
// gain of waiting (a ratio of rates, the median of the last samples).
func (p *waitPolicy) state() (epochs, waited int, gain float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.epochs, p.waited, math.Exp(p.gain)
}
