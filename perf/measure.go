package perf

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// stats is one measurement: per-run latencies and Go heap allocations.
type stats struct {
	runs          int
	median, p99   time.Duration
	mean          time.Duration
	allocs, bytes float64 // per run
	firstOutputs  map[string]*tensor.Tensor
}

// sampler collects one engine's runs at one batch size, over the rounds
// in which the engines take turns.
type sampler struct {
	name    string
	s       engine.Session
	in      map[string]*tensor.Tensor
	samples []time.Duration
	// mallocs and bytes are the Go heap's counts over the measured runs.
	mallocs, bytes uint64
	first          map[string]*tensor.Tensor
}

// warm runs the sampler's session warmup times (at least once), keeping
// the first outputs for the agreement check.
func (sm *sampler) warm(ctx context.Context, warmup int) error {
	for i := range max(warmup, 1) {
		out, err := sm.s.Run(ctx, sm.in)
		if err != nil {
			return fmt.Errorf("engine %s: %w", sm.name, err)
		}
		if i == 0 {
			sm.first = out
		}
	}
	return nil
}

// round runs the session until d has passed or, when iterations > 0,
// exactly iterations times, timing each run.
func (sm *sampler) round(ctx context.Context, d time.Duration, iterations int) error {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	for n := 0; ; n++ {
		if iterations > 0 && n >= iterations || iterations <= 0 && n > 0 && time.Since(start) >= d {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		if _, err := sm.s.Run(ctx, sm.in); err != nil {
			return fmt.Errorf("engine %s: %w", sm.name, err)
		}
		sm.samples = append(sm.samples, time.Since(t0))
	}
	runtime.ReadMemStats(&m1)
	sm.mallocs += m1.Mallocs - m0.Mallocs
	sm.bytes += m1.TotalAlloc - m0.TotalAlloc
	return nil
}

// stats summarises the sampler's runs.
func (sm *sampler) stats() stats {
	st := stats{runs: len(sm.samples), firstOutputs: sm.first}
	if st.runs == 0 {
		return st
	}
	st.allocs = float64(sm.mallocs) / float64(st.runs)
	st.bytes = float64(sm.bytes) / float64(st.runs)
	var sum time.Duration
	for _, x := range sm.samples {
		sum += x
	}
	st.mean = sum / time.Duration(st.runs)
	sorted := slices.Clone(sm.samples)
	slices.Sort(sorted)
	st.median = percentile(sorted, 0.5)
	st.p99 = percentile(sorted, 0.99)
	return st
}

// roundTime is how long an engine runs in a round of a --duration
// measurement before the next engine takes its turn: short enough that
// the engines see the same load on a shared machine (its swings last
// seconds), long enough to hold many runs.
const roundTime = 250 * time.Millisecond

// maxIterationRounds bounds the rounds of an --iterations measurement.
const maxIterationRounds = 10

// rounds returns how many rounds a measurement of d (or of iterations
// runs, when positive) takes.
func rounds(d time.Duration, iterations int) int {
	if iterations > 0 {
		return min(iterations, maxIterationRounds)
	}
	return max(1, int(d/roundTime))
}

// measureSide measures the samplers side by side: after each one's
// warm-up, in rounds in which each runs for its share of d (or of
// iterations) in turn, so that a change in the machine's load during the
// measurement falls on every engine alike rather than on whichever
// engine ran then. A sampler that is the only one is measured the same
// way, in one go.
func measureSide(ctx context.Context, sms []*sampler, warmup int, d time.Duration, iterations int) error {
	for _, sm := range sms {
		if err := sm.warm(ctx, warmup); err != nil {
			return err
		}
		// Room for the runs of a measurement, as far as it can be known.
		sm.samples = make([]time.Duration, 0, max(iterations, 1024))
	}
	runtime.GC()
	n := 1
	if len(sms) > 1 {
		n = rounds(d, iterations)
	}
	for r := range n {
		each := iterations / n
		if r < iterations%n {
			each++
		}
		for _, sm := range sms {
			if err := sm.round(ctx, d/time.Duration(n), each); err != nil {
				return err
			}
		}
	}
	return nil
}

// percentile is the nearest-rank percentile of sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}
