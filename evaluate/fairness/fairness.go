package fairness

import (
	"fmt"
	"math"
)

// Disparity summarises a metric across groups as Fairlearn's MetricFrame:
// group_min, group_max, difference() and ratio() between groups and to
// the overall value.
type Disparity struct {
	Overall             float64            `json:"overall"`
	ByGroup             map[string]float64 `json:"by_group"`
	Min                 float64            `json:"group_min"`
	Max                 float64            `json:"group_max"`
	Difference          float64            `json:"difference"`
	DifferenceToOverall float64            `json:"difference_to_overall"`
	Ratio               float64            `json:"ratio"`
	RatioToOverall      float64            `json:"ratio_to_overall"`
}

// Summarise computes the disparity of per-group values (indexed by group
// id) around the overall value. Groups whose value is NaN (no samples for
// the metric) are left out.
func Summarise(g *Groups, byGroup []float64, overall float64) Disparity {
	d := Disparity{Overall: overall, ByGroup: map[string]float64{}, Min: math.Inf(1), Max: math.Inf(-1), RatioToOverall: math.Inf(1)}
	for id, v := range byGroup {
		if math.IsNaN(v) {
			continue
		}
		d.ByGroup[g.Names[id]] = v
		d.Min, d.Max = math.Min(d.Min, v), math.Max(d.Max, v)
		d.DifferenceToOverall = math.Max(d.DifferenceToOverall, math.Abs(v-overall))
		r := v / overall
		d.RatioToOverall = math.Min(d.RatioToOverall, math.Min(r, 1/r))
	}
	if len(d.ByGroup) == 0 {
		nan := math.NaN()
		d.Min, d.Max, d.Difference, d.Ratio, d.RatioToOverall = nan, nan, nan, nan, nan
		return d
	}
	d.Difference = d.Max - d.Min
	d.Ratio = d.Min / d.Max
	if d.Max == 0 {
		d.Ratio = 1 // every group at 0: no disparity (Fairlearn's 0/0 handling)
	}
	return d
}

// Rate is a weighted fraction per group and overall: the weight of
// samples where hit is true among those where in is true.
func Rate(g *Groups, w []float64, in, hit func(i int) bool) (byGroup []float64, overall float64) {
	num, den := make([]float64, len(g.Names)), make([]float64, len(g.Names))
	var n, d float64
	for i, id := range g.IDs {
		if !in(i) {
			continue
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		den[id] += wi
		d += wi
		if hit(i) {
			num[id] += wi
			n += wi
		}
	}
	byGroup = make([]float64, len(num))
	for id := range num {
		byGroup[id] = num[id] / den[id] // NaN when the group has no such sample
	}
	return byGroup, n / d
}

// Parity are the binary-classification fairness figures for one grouping,
// with Fairlearn's definitions for the positive class.
type Parity struct {
	SelectionRate               Disparity `json:"selection_rate"`
	TruePositiveRate            Disparity `json:"true_positive_rate"`
	FalsePositiveRate           Disparity `json:"false_positive_rate"`
	DemographicParityDifference float64   `json:"demographic_parity_difference"`
	DemographicParityRatio      float64   `json:"demographic_parity_ratio"`
	EqualizedOddsDifference     float64   `json:"equalized_odds_difference"`
	EqualizedOddsRatio          float64   `json:"equalized_odds_ratio"`
	EqualOpportunityDifference  float64   `json:"equal_opportunity_difference"`
}

// ComputeParity computes selection rates, true and false positive rates
// per group, and from them demographic parity (difference, ratio of
// selection rates), equalized odds (the larger difference and the smaller
// ratio of TPR and FPR) and equal opportunity (TPR difference).
func ComputeParity(g *Groups, yTrue, yPred []int, w []float64, positive int) (*Parity, error) {
	if len(yTrue) != len(g.IDs) || len(yPred) != len(g.IDs) || (w != nil && len(w) != len(g.IDs)) {
		return nil, fmt.Errorf("fairness: %d group ids, %d labels, %d predictions, %d weights", len(g.IDs), len(yTrue), len(yPred), len(w))
	}
	all := func(int) bool { return true }
	sel := func(i int) bool { return yPred[i] == positive }
	p := &Parity{}
	p.SelectionRate = RateDisparity(g, w, all, sel)
	p.TruePositiveRate = RateDisparity(g, w, func(i int) bool { return yTrue[i] == positive }, sel)
	p.FalsePositiveRate = RateDisparity(g, w, func(i int) bool { return yTrue[i] != positive }, sel)
	p.DemographicParityDifference = p.SelectionRate.Difference
	p.DemographicParityRatio = p.SelectionRate.Ratio
	p.EqualizedOddsDifference = math.Max(p.TruePositiveRate.Difference, p.FalsePositiveRate.Difference)
	p.EqualizedOddsRatio = math.Min(p.TruePositiveRate.Ratio, p.FalsePositiveRate.Ratio)
	p.EqualOpportunityDifference = p.TruePositiveRate.Difference
	return p, nil
}

// RateDisparity is the disparity of a Rate.
func RateDisparity(g *Groups, w []float64, in, hit func(i int) bool) Disparity {
	byGroup, overall := Rate(g, w, in, hit)
	return Summarise(g, byGroup, overall)
}
