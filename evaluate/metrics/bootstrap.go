package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Interval is a confidence interval.
type Interval struct {
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
	Level float64 `json:"level"`
}

// Bootstrap is the percentile bootstrap interval of statistics over n
// samples: each of `reps` draws picks n indices with replacement and a
// statistic function returns one value per statistic for them. newFn
// makes one statistic function per worker (draws run on up to GOMAXPROCS
// goroutines; each function is used by one at a time). Draw r's indices
// come from a generator seeded with (seed, r), so the same seed gives the
// same intervals however many workers run. Draws where the function
// fails, and NaN values, are skipped.
func Bootstrap(n, reps int, level float64, seed uint64, newFn func() func(idx []int) ([]float64, error)) ([]Interval, error) {
	if n <= 0 || reps <= 0 || level <= 0 || level >= 1 {
		return nil, fmt.Errorf("%w: bootstrap of %d samples, %d repetitions, level %v", ErrInput, n, reps, level)
	}
	results := make([][]float64, reps) // nil: the draw failed
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), reps) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn, idx := newFn(), make([]int, n)
			for r := int(next.Add(1) - 1); r < reps; r = int(next.Add(1) - 1) {
				rng := rand.NewPCG(seed, uint64(r)^0x9e3779b97f4a7c15)
				drawIndices(rng, idx)
				if v, err := fn(idx); err == nil {
					results[r] = v
				}
			}
		}()
	}
	wg.Wait()
	return percentiles(results, level)
}

// drawIndices fills idx with uniform indices below len(idx), two from
// each 64-bit draw (Lemire's multiply-shift on 32 bits: the bias, below
// n/2^32, is far under the bootstrap's own error).
func drawIndices(rng *rand.PCG, idx []int) {
	n := uint64(len(idx))
	for i := 0; i < len(idx); i += 2 {
		u := rng.Uint64()
		idx[i] = int((u & 0xffffffff) * n >> 32)
		if i+1 < len(idx) {
			idx[i+1] = int((u >> 32) * n >> 32)
		}
	}
}

// percentiles are the intervals of the draws' values.
func percentiles(results [][]float64, level float64) ([]Interval, error) {
	var vals [][]float64
	for _, v := range results {
		if v == nil {
			continue
		}
		if vals == nil {
			vals = make([][]float64, len(v))
		}
		for s, x := range v {
			if !math.IsNaN(x) {
				vals[s] = append(vals[s], x)
			}
		}
	}
	if vals == nil {
		return nil, fmt.Errorf("%w: no bootstrap draw gave a value", ErrInput)
	}
	a := (1 - level) / 2
	out := make([]Interval, len(vals))
	for s, v := range vals {
		slices.Sort(v)
		out[s] = Interval{Low: Quantile(v, a), High: Quantile(v, 1-a), Level: level}
	}
	return out, nil
}

// Quantile is the q-quantile of sorted values, linearly interpolated
// (numpy's default method).
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
