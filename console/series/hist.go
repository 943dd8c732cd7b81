package series

import (
	"math"
	"time"
)

// Histogram bounds. Latency and queue time share log buckets growing by
// √2 from 50 µs: bucket i holds [lo·√2^(i-1), lo·√2^i), bucket 0 what is
// below lo, the last one what is above the others (~3.3 s).
const (
	latBuckets   = 32
	latLowest    = 50e-6 // seconds
	batchBuckets = 12    // rows 1, 2, 3-4, 5-8, ..., 1025+
)

// latUpper is the upper bound of latency bucket i, in seconds (+Inf for
// the last).
func latUpper(i int) float64 {
	if i >= latBuckets-1 {
		return math.Inf(1)
	}
	return latLowest * math.Pow(math.Sqrt2, float64(i))
}

// latIndex is the bucket of duration d.
func latIndex(d time.Duration) int {
	s := d.Seconds()
	if s < latLowest {
		return 0
	}
	i := int(math.Floor(2*math.Log2(s/latLowest))) + 1
	return min(i, latBuckets-1)
}

// batchIndex is the bucket of a batch of rows.
func batchIndex(rows int) int {
	if rows <= 1 {
		return 0
	}
	i := 0
	for n := rows - 1; n > 0; n >>= 1 {
		i++
	}
	return min(i, batchBuckets-1)
}

// batchUpper is the largest batch of bucket i (0 for the last, open one).
func batchUpper(i int) int {
	if i >= batchBuckets-1 {
		return 0
	}
	return 1 << i
}

// quantile estimates the q-quantile (0..1) of a latency histogram in
// seconds, interpolating inside the bucket; 0 without observations.
func quantile(h *[latBuckets]uint32, q float64) float64 {
	var total uint64
	for _, c := range h {
		total += uint64(c)
	}
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	var seen float64
	for i, c := range h {
		if c == 0 {
			continue
		}
		if seen+float64(c) >= rank {
			lo, hi := 0.0, latUpper(i)
			if i > 0 {
				lo = latUpper(i - 1)
			}
			if math.IsInf(hi, 1) {
				return lo
			}
			return lo + (hi-lo)*(rank-seen)/float64(c)
		}
		seen += float64(c)
	}
	return latUpper(latBuckets - 2)
}
