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

// Bootstrap is the percentile bootstrap interval of statistics over n
// samples: fn is called `reps` times with indices drawn with replacement
// from a generator seeded with seed (the same seed gives the same
// intervals) and returns one value per statistic. Draws where fn fails,
// and NaN values, are skipped.
func Bootstrap(n, reps int, level float64, seed uint64, fn func(idx []int) ([]float64, error)) ([]Interval, error) {
	if n <= 0 || reps <= 0 || level <= 0 || level >= 1 {
		return nil, fmt.Errorf("%w: bootstrap of %d samples, %d repetitions, level %v", ErrInput, n, reps, level)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	idx := make([]int, n)
	var vals [][]float64
	for range reps {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		v, err := fn(idx)
		if err != nil {
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
