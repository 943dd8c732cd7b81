package loadgen

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range, in microseconds: 0 to 1 hour (1 µs resolution), three significant
// digits.
const (
	histMin     = 1
	histMax     = int64(time.Hour / time.Microsecond)
	histSigFigs = 3
)

// recorder collects the outcomes of a run. It is safe for concurrent use.
type recorder struct {
	mu                        sync.Mutex
	ok, failed, queue, comput *hdrhistogram.Histogram
	maxOK, maxFailed          time.Duration
	maxQueue, maxCompute      time.Duration
	batchRows, batched        int64
	errors                    map[string]int64
	messages                  map[string]string

	// Counters for progress reports, readable without the lock.
	nOK, nFailed atomic.Int64
}

func newRecorder() *recorder {
	h := func() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histSigFigs) }
	return &recorder{ok: h(), failed: h(), queue: h(), comput: h(), errors: map[string]int64{}, messages: map[string]string{}}
}

// clampUS is d in microseconds within the histogram's range.
func clampUS(d time.Duration) int64 {
	return min(max(d.Microseconds(), 0), histMax)
}

// record adds one outcome with its latency.
func (r *recorder) record(latency time.Duration, o Outcome) {
	if o.OK {
		r.nOK.Add(1)
	} else {
		r.nFailed.Add(1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !o.OK {
		_ = r.failed.RecordValue(clampUS(latency)) // clamped: cannot fail
		r.maxFailed = max(r.maxFailed, latency)
		r.errors[o.Status]++
		if _, ok := r.messages[o.Status]; !ok && o.Message != "" {
			r.messages[o.Status] = o.Message
		}
		return
	}
	_ = r.ok.RecordValue(clampUS(latency))
	r.maxOK = max(r.maxOK, latency)
	if o.HasTiming {
		_ = r.queue.RecordValue(clampUS(o.Timing.Queue))
		_ = r.comput.RecordValue(clampUS(o.Timing.Compute))
		r.maxQueue = max(r.maxQueue, o.Timing.Queue)
		r.maxCompute = max(r.maxCompute, o.Timing.Compute)
		if o.Timing.Batch > 0 {
			r.batchRows += int64(o.Timing.Batch)
			r.batched++
		}
	}
}

// summary is a histogram's Latency; max is the exact maximum.
func summary(h *hdrhistogram.Histogram, maxD time.Duration) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	// The histogram answers the highest value of a bucket, which can be
	// above the exact maximum.
	q := func(p float64) time.Duration { return min(time.Duration(h.ValueAtQuantile(p))*time.Microsecond, maxD) }
	return Latency{
		Count: h.TotalCount(),
		Mean:  time.Duration(h.Mean() * float64(time.Microsecond)),
		P50:   q(50), P90: q(90), P99: q(99), P999: q(99.9),
		Max: maxD,
	}
}

// result fills the counts and distributions of a result.
func (r *recorder) result(res *Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res.OK, res.Failed = r.ok.TotalCount(), r.failed.TotalCount()
	res.Sent = res.OK + res.Failed
	res.Latency = summary(r.ok, r.maxOK)
	res.FailedLatency = summary(r.failed, r.maxFailed)
	if len(r.errors) > 0 {
		res.Errors, res.ErrorMessages = map[string]int64{}, map[string]string{}
		for k, v := range r.errors {
			res.Errors[k] = v
		}
		for k, v := range r.messages {
			res.ErrorMessages[k] = v
		}
	}
	if n := r.queue.TotalCount(); n > 0 {
		res.Server = &ServerTiming{Count: n, Queue: summary(r.queue, r.maxQueue), Compute: summary(r.comput, r.maxCompute)}
		if r.batched > 0 {
			res.Server.MeanBatch = float64(r.batchRows) / float64(r.batched)
		}
	}
	if res.Elapsed > 0 {
		res.Throughput = float64(res.OK) / res.Elapsed.Seconds()
	}
}
