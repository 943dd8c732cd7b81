package series

import "time"

// Point is one bucket of a series: its start (Unix seconds), the requests
// and errors (answers with status 400 or more; failed steps) in it, and
// the latency quantiles in seconds (0 without requests).
type Point struct {
	T        int64   `json:"t"`
	Requests uint64  `json:"requests"`
	Errors   uint64  `json:"errors"`
	P50      float64 `json:"p50"`
	P99      float64 `json:"p99"`
}

// Count is one histogram bar: the values up to Le (batch rows, or
// seconds; 0 for the last, open bar) and how many fell there.
type Count struct {
	Le    float64 `json:"le"`
	Count uint64  `json:"count"`
}

// Summary is a series over a window: totals, latency quantiles, the
// batch-size and queue-time histograms and the shadow's agreement.
type Summary struct {
	Requests    uint64  `json:"requests"`
	Errors      uint64  `json:"errors"`
	P50         float64 `json:"p50"`
	P99         float64 `json:"p99"`
	BatchSizes  []Count `json:"batch_sizes"`
	QueueTimes  []Count `json:"queue_seconds"`
	Agree       uint64  `json:"shadow_agree"`
	Disagree    uint64  `json:"shadow_disagree"`
	ShadowOther uint64  `json:"shadow_other"`
}

// Points returns the last n buckets up to now, oldest first, with zeros
// where nothing was recorded (n is at most Slots).
func (s *Series) Points(n int) []Point {
	n = min(max(n, 0), Slots)
	pts := make([]Point, n)
	now := time.Now().UnixNano() / int64(Width)
	if s != nil {
		now = s.now().UnixNano() / int64(Width)
	}
	for i := range pts {
		slot := now - int64(n-1-i)
		pts[i].T = slot * int64(Width/time.Second)
	}
	if s == nil {
		return pts
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range pts {
		slot := now - int64(n-1-i)
		b := s.ring[slot%Slots]
		if b == nil || b.slot != slot {
			continue
		}
		pts[i].Requests, pts[i].Errors = b.requests, b.errors
		pts[i].P50, pts[i].P99 = quantile(&b.latency, 0.5), quantile(&b.latency, 0.99)
	}
	return pts
}

// Summary sums the buckets of the last window (at most an hour).
func (s *Series) Summary(window time.Duration) Summary {
	var lat, queue [latBuckets]uint32
	var batches [batchBuckets]uint32
	var sum Summary
	if s != nil {
		n := int64(min(max(window/Width, 1), Slots))
		s.mu.Lock()
		now := s.now().UnixNano() / int64(Width)
		for _, b := range s.ring {
			if b == nil || b.slot > now || b.slot <= now-n {
				continue
			}
			sum.Requests += b.requests
			sum.Errors += b.errors
			sum.Agree += uint64(b.agree)
			sum.Disagree += uint64(b.disagree)
			sum.ShadowOther += uint64(b.shadowOther)
			addTo(lat[:], b.latency[:])
			addTo(queue[:], b.queue[:])
			addTo(batches[:], b.batches[:])
		}
		s.mu.Unlock()
	}
	sum.P50, sum.P99 = quantile(&lat, 0.5), quantile(&lat, 0.99)
	sum.QueueTimes = latCounts(&queue)
	sum.BatchSizes = make([]Count, batchBuckets)
	for i, c := range batches {
		sum.BatchSizes[i] = Count{Le: float64(batchUpper(i)), Count: uint64(c)}
	}
	return sum
}

func addTo(dst, src []uint32) {
	for i, c := range src {
		dst[i] += c
	}
}

// latCounts turns a latency histogram into bars (Le 0 for the open last).
func latCounts(h *[latBuckets]uint32) []Count {
	out := make([]Count, latBuckets)
	for i, c := range h {
		le := latUpper(i)
		if i == latBuckets-1 {
			le = 0
		}
		out[i] = Count{Le: le, Count: uint64(c)}
	}
	return out
}
