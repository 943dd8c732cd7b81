package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Interval is a confidence interval.
type Interval struct {
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
	Level float64 `json:"level"`
}

// Bootstrap is the percentile bootstrap interval of a statistic over n
// samples: fn is called `reps` times with indices drawn with replacement
// from a generator seeded with seed (the same seed gives the same
// interval). Draws where fn fails or returns NaN are skipped.
func Bootstrap(n, reps int, level float64, seed uint64, fn func(idx []int) (float64, error)) (Interval, error) {
	if n <= 0 || reps <= 0 || level <= 0 || level >= 1 {
		return Interval{}, fmt.Errorf("%w: bootstrap of %d samples, %d repetitions, level %v", ErrInput, n, reps, level)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	idx := make([]int, n)
	vals := make([]float64, 0, reps)
	for range reps {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		v, err := fn(idx)
		if err != nil || math.IsNaN(v) {
			continue
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		return Interval{}, fmt.Errorf("%w: no bootstrap draw gave a value", ErrInput)
	}
	slices.Sort(vals)
	a := (1 - level) / 2
	return Interval{Low: Quantile(vals, a), High: Quantile(vals, 1-a), Level: level}, nil
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
