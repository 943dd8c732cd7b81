package drift

import (
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/inferd/inferd/monitor/sketch"
)

// The statistics, each comparing a window (raw values) with a reference
// (a sketch).

// ks returns the two-sample Kolmogorov–Smirnov statistic between the
// reference (its sketch's points and CDF, n values) and the window, and
// its asymptotic p-value.
func ks(xs, cdf []float64, refN int64, window []float64) (d, p float64) {
	w := slices.Clone(window)
	slices.Sort(w)
	// Both CDFs are right-continuous steps: the largest gap is at a jump.
	i, j := 0, 0
	for i < len(xs) || j < len(w) {
		var x float64
		if j >= len(w) || i < len(xs) && xs[i] <= w[j] {
			x = xs[i]
		} else {
			x = w[j]
		}
		for i < len(xs) && xs[i] <= x {
			i++
		}
		for j < len(w) && w[j] <= x {
			j++
		}
		fr := 0.0
		if i > 0 {
			fr = cdf[i-1]
		}
		d = max(d, math.Abs(fr-float64(j)/float64(len(w))))
	}
	n, m := float64(refN), float64(len(w))
	en := math.Sqrt(n * m / (n + m))
	return d, kolmogorovQ((en + 0.12 + 0.11/en) * d)
}

// kolmogorovQ is the Kolmogorov distribution's survival function.
func kolmogorovQ(lambda float64) float64 {
	if lambda < 0.2 {
		return 1
	}
	sum, sign := 0.0, 1.0
	for k := 1; k <= 100; k++ {
		term := sign * 2 * math.Exp(-2*float64(k*k)*lambda*lambda)
		sum += term
		if math.Abs(term) < 1e-12 {
			break
		}
		sign = -sign
	}
	return min(max(sum, 0), 1)
}

// wasserstein returns the 1-Wasserstein distance between the reference
// and the window divided by the reference's standard deviation (with a
// floor, so that a constant feature does not divide by zero).
func wasserstein(ref *sketch.Quantiles, window []float64, std float64) float64 {
	w := slices.Clone(window)
	slices.Sort(w)
	xs, cdf := ref.Points()
	pts := append(slices.Clone(xs), w...)
	slices.Sort(pts)
	pts = slices.Compact(pts)
	dist := 0.0
	for k := 0; k+1 < len(pts); k++ {
		x := pts[k]
		fr := 0.0
		if i := sort.SearchFloat64s(xs, math.Nextafter(x, math.Inf(1))); i > 0 {
			fr = cdf[i-1]
		}
		fw := float64(sort.SearchFloat64s(w, math.Nextafter(x, math.Inf(1)))) / float64(len(w))
		dist += math.Abs(fr-fw) * (pts[k+1] - x)
	}
	return dist / max(std, 1e-3)
}

// shares returns the reference shares and the window counts over the
// union of categories, the reference smoothed so that no category the
// window has is impossible.
func shares(ref *sketch.Frequent, window []string) (keys []string, refShare, winCount []float64) {
	rs := ref.Share()
	counts := map[string]float64{}
	for _, v := range window {
		if _, ok := rs[v]; !ok && ref.Capacity <= len(ref.Counts) {
			v = sketch.Other // the reference would not have kept it
		}
		counts[v]++
	}
	for k := range rs {
		keys = append(keys, k)
	}
	for k := range counts {
		if _, ok := rs[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	eps := 0.5 / float64(max(ref.N, 1))
	total := 0.0
	for _, k := range keys {
		refShare = append(refShare, rs[k]+eps)
		total += rs[k] + eps
		winCount = append(winCount, counts[k])
	}
	for i := range refShare {
		refShare[i] /= total
	}
	return keys, refShare, winCount
}

// chiSquare tests the window's category counts against the reference
// shares: the statistic and its p-value.
func chiSquare(refShare, winCount []float64) (stat, p float64) {
	m := 0.0
	for _, c := range winCount {
		m += c
	}
	for i, s := range refShare {
		e := s * m
		stat += (winCount[i] - e) * (winCount[i] - e) / e
	}
	df := float64(len(refShare) - 1)
	if df < 1 {
		return 0, 1
	}
	return stat, distuv.ChiSquared{K: df}.Survival(stat)
}

// jensenShannon is the Jensen–Shannon distance (base 2, in [0, 1]).
func jensenShannon(refShare, winCount []float64) float64 {
	m := 0.0
	for _, c := range winCount {
		m += c
	}
	div := 0.0
	for i, p := range refShare {
		q := winCount[i] / m
		mid := (p + q) / 2
		if p > 0 {
			div += p / 2 * math.Log2(p/mid)
		}
		if q > 0 {
			div += q / 2 * math.Log2(q/mid)
		}
	}
	return math.Sqrt(max(div, 0))
}

// psi is the population stability index of the window against the
// reference: over its deciles for numbers (numeric) or its categories.
func psi(refShare, winShare []float64) float64 {
	const eps = 1e-4
	v := 0.0
	for i := range refShare {
		r, w := max(refShare[i], eps), max(winShare[i], eps)
		v += (w - r) * math.Log(w/r)
	}
	return v
}

// numericPSI bins the window by the reference's deciles.
func numericPSI(ref *sketch.Quantiles, window []float64) float64 {
	var edges []float64
	for q := 1; q < 10; q++ {
		edges = append(edges, ref.Quantile(float64(q)/10))
	}
	edges = slices.Compact(edges)
	refShare := make([]float64, len(edges)+1)
	winShare := make([]float64, len(edges)+1)
	prev := 0.0
	for i, e := range edges {
		c := ref.CDF(e)
		refShare[i], prev = c-prev, c
	}
	refShare[len(edges)] = 1 - prev
	for _, v := range window {
		winShare[sort.SearchFloat64s(edges, v)] += 1 / float64(len(window))
	}
	return psi(refShare, winShare)
}

// rejected applies the correction to the p-values at level q: BH (false
// discovery rate) or Bonferroni (family-wise error).
func rejected(pvals []float64, q float64, correction string) []bool {
	out := make([]bool, len(pvals))
	m := float64(len(pvals))
	if correction == CorrectionBonferroni {
		for i, p := range pvals {
			out[i] = p <= q/m
		}
		return out
	}
	idx := make([]int, len(pvals))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return pvals[idx[a]] < pvals[idx[b]] })
	last := -1
	for r, i := range idx {
		if pvals[i] <= float64(r+1)/m*q {
			last = r
		}
	}
	for r := 0; r <= last; r++ {
		out[idx[r]] = true
	}
	return out
}

// minAdjusted is the smallest corrected p-value: the level at which the
// correction starts to reject (min of p·m/rank for BH, p·m for
// Bonferroni), at most 1.
func minAdjusted(pvals []float64, correction string) float64 {
	sorted := slices.Clone(pvals)
	slices.Sort(sorted)
	m := float64(len(sorted))
	best := 1.0
	for i, p := range sorted {
		adj := p * m
		if correction != CorrectionBonferroni {
			adj /= float64(i + 1)
		}
		best = min(best, adj)
	}
	return best
}
