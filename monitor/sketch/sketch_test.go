package sketch

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// rankError is the largest |estimated CDF − true CDF| over the data's
// percentiles.
func rankError(q *Quantiles, data []float64) float64 {
	sorted := slices.Clone(data)
	slices.Sort(sorted)
	worst := 0.0
	for p := 1; p < 100; p++ {
		x := sorted[p*len(sorted)/100]
		n, _ := slices.BinarySearch(sorted, math.Nextafter(x, math.Inf(1)))
		worst = max(worst, math.Abs(q.CDF(x)-float64(n)/float64(len(sorted))))
	}
	return worst
}

func TestQuantilesAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		gen  func() float64
	}{
		{"normal", r.NormFloat64},
		{"exponential", r.ExpFloat64},
		{"discrete", func() float64 { return float64(r.IntN(17)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := make([]float64, 200_000)
			a, b := NewQuantiles(0), NewQuantiles(0)
			for i := range data {
				data[i] = tt.gen()
				if i%2 == 0 {
					a.Add(data[i])
				} else {
					b.Add(data[i])
				}
			}
			a.Merge(b)
			if a.N != int64(len(data)) {
				t.Fatalf("N = %d", a.N)
			}
			var w int64
			for h, items := range a.Levels {
				w += int64(len(items)) << h
			}
			if w != a.N {
				t.Fatalf("total weight %d, N %d: compaction lost weight", w, a.N)
			}
			if e := rankError(a, data); e > 0.02 {
				t.Fatalf("rank error %.4f after merging, want ≤ 0.02", e)
			}
			size := 0
			for _, l := range a.Levels {
				size += len(l)
			}
			if size > 20*a.K {
				t.Fatalf("sketch keeps %d items for K=%d", size, a.K)
			}
			sorted := slices.Clone(data)
			slices.Sort(sorted)
			if med := a.Quantile(0.5); math.Abs(a.CDF(med)-0.5) > 0.03 && tt.name != "discrete" {
				t.Fatalf("median %v has CDF %v", med, a.CDF(med))
			}
			if a.Min != sorted[0] || a.Max != sorted[len(sorted)-1] {
				t.Fatalf("min/max %v %v", a.Min, a.Max)
			}
		})
	}
}

func TestQuantilesJSONAndSampler(t *testing.T) {
	q := NewQuantiles(64)
	for i := range 10_000 {
		q.Add(float64(i % 100))
	}
	q.Add(math.NaN())
	b, _ := json.Marshal(q)
	var back Quantiles
	if err := json.Unmarshal(b, &back); err != nil || back.N != 10_000 || back.CDF(49) != q.CDF(49) {
		t.Fatalf("round trip: %v N=%d", err, back.N)
	}
	draw := back.Sampler()
	r := rand.New(rand.NewPCG(3, 4))
	below := 0
	for range 20_000 {
		if draw(r) < 50 {
			below++
		}
	}
	if share := float64(below) / 20_000; math.Abs(share-0.5) > 0.04 {
		t.Fatalf("sampler: %.3f below 50, want 0.5", share)
	}
}

func TestFrequent(t *testing.T) {
	f, g := NewFrequent(4), NewFrequent(4)
	for i := range 1000 {
		f.Add(strconv.Itoa(i % 3)) // exact: 3 values
	}
	if f.Counts["0"] != 334 || f.Counts["2"] != 333 || len(f.Share()) != 3 {
		t.Fatalf("counts %v", f.Counts)
	}
	// A heavy hitter among many rare values stays, within the bound.
	for i := range 1000 {
		if i%2 == 0 {
			g.Add("hot")
		} else {
			g.Add("rare" + strconv.Itoa(i))
		}
	}
	f.Merge(g)
	if f.N != 2000 || len(f.Counts) > 4 {
		t.Fatalf("N %d counts %v", f.N, f.Counts)
	}
	bound := f.N / 5
	if c := f.Counts["hot"]; c > 500 || c < 500-bound {
		t.Fatalf("hot counted %d, true 500, bound %d", c, bound)
	}
	sum := 0.0
	for _, s := range f.Share() {
		sum += s
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("shares sum to %v", sum)
	}
}
