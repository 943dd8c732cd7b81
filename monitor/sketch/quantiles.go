package sketch

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// DefaultK is the compactor capacity of a new Quantiles.
const DefaultK = 256

// Quantiles is a KLL quantile sketch (Karnin, Lang, Liberty 2016) with
// compactors of equal capacity. Items at level h weigh 2^h; a full level
// is sorted and every other item, from a random offset, moves up. The
// total weight is always N. The zero value is not usable; use NewQuantiles.
type Quantiles struct {
	K      int         `json:"k"`
	N      int64       `json:"n"`
	Min    float64     `json:"min"`
	Max    float64     `json:"max"`
	Levels [][]float64 `json:"levels"`
	// Seed drives the compaction coins (deterministic for a given input).
	Seed uint64 `json:"seed"`
}

// NewQuantiles returns an empty sketch with capacity k (DefaultK when k < 8).
func NewQuantiles(k int) *Quantiles {
	if k < 8 {
		k = DefaultK
	}
	return &Quantiles{K: k, Min: math.Inf(1), Max: math.Inf(-1), Levels: [][]float64{nil}}
}

// Add adds x; NaN is ignored (count missing values apart).
func (q *Quantiles) Add(x float64) {
	if math.IsNaN(x) {
		return
	}
	q.N++
	q.Min, q.Max = min(q.Min, x), max(q.Max, x)
	q.Levels[0] = append(q.Levels[0], x)
	q.compress()
}

// Merge adds o's items to q.
func (q *Quantiles) Merge(o *Quantiles) {
	for len(q.Levels) < len(o.Levels) {
		q.Levels = append(q.Levels, nil)
	}
	for h, items := range o.Levels {
		q.Levels[h] = append(q.Levels[h], items...)
	}
	q.N += o.N
	q.Min, q.Max = min(q.Min, o.Min), max(q.Max, o.Max)
	q.Seed ^= o.Seed + 0x9e3779b97f4a7c15
	q.compress()
}

// compress compacts every level that is full.
func (q *Quantiles) compress() {
	for h := 0; h < len(q.Levels); h++ {
		if len(q.Levels[h]) >= q.K {
			q.compact(h)
		}
	}
}

// compact halves level h into level h+1, keeping one item at h when the
// count is odd so that no weight is lost.
func (q *Quantiles) compact(h int) {
	items := q.Levels[h]
	slices.Sort(items)
	var keep []float64
	if len(items)%2 == 1 {
		keep = []float64{items[len(items)-1]}
		items = items[:len(items)-1]
	}
	q.Seed = q.Seed*6364136223846793005 + 1442695040888963407
	off := int(q.Seed>>63) & 1
	if h+1 == len(q.Levels) {
		q.Levels = append(q.Levels, nil)
	}
	for i := off; i < len(items); i += 2 {
		q.Levels[h+1] = append(q.Levels[h+1], items[i])
	}
	q.Levels[h] = append(q.Levels[h][:0], keep...)
}

// weighted is an item and its weight.
type weighted struct {
	v float64
	w int64
}

func (q *Quantiles) sorted() []weighted {
	var all []weighted
	for h, items := range q.Levels {
		for _, v := range items {
			all = append(all, weighted{v, 1 << h})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	return all
}

// CDF returns the estimated share of items ≤ x.
func (q *Quantiles) CDF(x float64) float64 {
	if q.N == 0 {
		return math.NaN()
	}
	var r int64
	for h, items := range q.Levels {
		for _, v := range items {
			if v <= x {
				r += 1 << h
			}
		}
	}
	return float64(r) / float64(q.N)
}

// Quantile returns the estimated p-quantile (0 ≤ p ≤ 1).
func (q *Quantiles) Quantile(p float64) float64 {
	if q.N == 0 {
		return math.NaN()
	}
	if p <= 0 {
		return q.Min
	}
	if p >= 1 {
		return q.Max
	}
	target := p * float64(q.N)
	var cum int64
	for _, it := range q.sorted() {
		cum += it.w
		if float64(cum) >= target {
			return it.v
		}
	}
	return q.Max
}

// Sampler returns a function drawing values distributed like the sketch.
func (q *Quantiles) Sampler() func(r *rand.Rand) float64 {
	all := q.sorted()
	cum := make([]int64, len(all))
	var c int64
	for i, it := range all {
		c += it.w
		cum[i] = c
	}
	return func(r *rand.Rand) float64 {
		if c == 0 {
			return math.NaN()
		}
		u := r.Int64N(c)
		i := sort.Search(len(cum), func(i int) bool { return cum[i] > u })
		return all[i].v
	}
}

// Points returns the sketch's distinct items in order with their CDF: the
// reference side of a two-sample comparison.
func (q *Quantiles) Points() (xs, cdf []float64) {
	var cum int64
	for _, it := range q.sorted() {
		cum += it.w
		if n := len(xs); n > 0 && xs[n-1] == it.v {
			cdf[n-1] = float64(cum) / float64(q.N)
			continue
		}
		xs = append(xs, it.v)
		cdf = append(cdf, float64(cum)/float64(q.N))
	}
	return xs, cdf
}
