package sketch

import (
	"math/rand/v2"
	"sort"
)

// DefaultCapacity is the distinct values a new Frequent counts.
const DefaultCapacity = 64

// Frequent counts values with the Misra–Gries summary: at most Capacity
// counters; each count is at most (N − Σcounts)/(Capacity+1) below the
// truth, and exact while there are no more distinct values than Capacity.
type Frequent struct {
	Capacity int              `json:"capacity"`
	N        int64            `json:"n"`
	Counts   map[string]int64 `json:"counts"`
}

// NewFrequent returns an empty summary (DefaultCapacity when capacity < 1).
func NewFrequent(capacity int) *Frequent {
	if capacity < 1 {
		capacity = DefaultCapacity
	}
	return &Frequent{Capacity: capacity, Counts: map[string]int64{}}
}

// Add counts v once.
func (f *Frequent) Add(v string) {
	f.N++
	f.Counts[v]++
	f.trim()
}

// Merge adds o's counts to f.
func (f *Frequent) Merge(o *Frequent) {
	f.N += o.N
	for v, c := range o.Counts {
		f.Counts[v] += c
	}
	f.trim()
}

// trim subtracts the (Capacity+1)-th largest count from every counter
// when there are too many, dropping those that reach zero.
func (f *Frequent) trim() {
	if len(f.Counts) <= f.Capacity {
		return
	}
	counts := make([]int64, 0, len(f.Counts))
	for _, c := range f.Counts {
		counts = append(counts, c)
	}
	sort.Slice(counts, func(i, j int) bool { return counts[i] > counts[j] })
	cut := counts[f.Capacity]
	for v, c := range f.Counts {
		if c <= cut {
			delete(f.Counts, v)
		} else {
			f.Counts[v] = c - cut
		}
	}
}

// Share returns each counted value's share of N, and the share of the
// values not kept under Other.
func (f *Frequent) Share() map[string]float64 {
	out := map[string]float64{}
	if f.N == 0 {
		return out
	}
	var sum int64
	for v, c := range f.Counts {
		out[v] = float64(c) / float64(f.N)
		sum += c
	}
	if rest := f.N - sum; rest > 0 {
		out[Other] += float64(rest) / float64(f.N)
	}
	return out
}

// Other is the key of values a Frequent did not keep.
const Other = "\x00other"

// Sampler returns a function drawing values with the summary's shares
// (Other for the values it did not keep).
func (f *Frequent) Sampler() func(r *rand.Rand) string {
	share := f.Share()
	keys := make([]string, 0, len(share))
	for k := range share {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cum := make([]float64, len(keys))
	c := 0.0
	for i, k := range keys {
		c += share[k]
		cum[i] = c
	}
	return func(r *rand.Rand) string {
		u := r.Float64() * c
		i := sort.SearchFloat64s(cum, u)
		return keys[min(i, len(keys)-1)]
	}
}
