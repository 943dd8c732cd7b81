package perf

import (
	"context"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// stats is one measurement: per-run latencies and Go heap allocations.
type stats struct {
	runs           int
	median, p99    time.Duration
	mean           time.Duration
	allocs, bytes  float64 // per run
	wall           time.Duration
	firstOutputs   map[string]*tensor.Tensor
	warmupDuration time.Duration
}

// measure runs s warmup times (keeping the first outputs for the agreement
// check), then until d has passed or, when iterations > 0, exactly
// iterations times, timing each run.
func measure(ctx context.Context, s engine.Session, in map[string]*tensor.Tensor, warmup int, d time.Duration, iterations int) (stats, error) {
	var st stats
	start := time.Now()
	for i := range max(warmup, 1) {
		out, err := s.Run(ctx, in)
		if err != nil {
			return st, err
		}
		if i == 0 {
			st.firstOutputs = out
		}
	}
	st.warmupDuration = time.Since(start)
	capacity := iterations
	if capacity <= 0 {
		capacity = 4096
	}
	samples := make([]time.Duration, 0, capacity)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start = time.Now()
	for {
		t0 := time.Now()
		if _, err := s.Run(ctx, in); err != nil {
			return st, err
		}
		samples = append(samples, time.Since(t0))
		if iterations > 0 && len(samples) >= iterations || iterations <= 0 && time.Since(start) >= d {
			break
		}
		if err := ctx.Err(); err != nil {
			return st, err
		}
	}
	st.wall = time.Since(start)
	runtime.ReadMemStats(&m1)
	st.runs = len(samples)
	st.allocs = float64(m1.Mallocs-m0.Mallocs) / float64(st.runs)
	st.bytes = float64(m1.TotalAlloc-m0.TotalAlloc) / float64(st.runs)
	var sum time.Duration
	for _, x := range samples {
		sum += x
	}
	st.mean = sum / time.Duration(st.runs)
	slices.Sort(samples)
	st.median = percentile(samples, 0.5)
	st.p99 = percentile(samples, 0.99)
	return st, nil
}

// percentile is the nearest-rank percentile of sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}
