package evaluate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/inferd/inferd/evaluate/fairness"
)

// Fairness is the comparison of groups (the values of the group columns,
// intersected).
type Fairness struct {
	Columns []string `json:"columns"`
	// PositiveClass is the class whose selection and true/false positive
	// rates are compared ("" when there is none: a multi-class model
	// without --positive).
	PositiveClass string `json:"positive_class,omitempty"`
	// Groups are each group's metrics (rows, accuracy, selection_rate, …).
	Groups map[string]map[string]float64 `json:"groups"`
	// Metrics are the fairness figures: demographic_parity_difference and
	// _ratio, equalized_odds_difference and _ratio,
	// equal_opportunity_difference, and for each group metric M:
	// M_group_min, M_group_max, M_difference, M_ratio,
	// M_difference_to_overall, M_ratio_to_overall.
	Metrics      map[string]float64 `json:"metrics"`
	MinGroupSize int                `json:"min_group_size"`
	SmallGroups  []string           `json:"small_groups,omitempty"`
}

// disparityOf are the group metrics whose disparities are reported.
var disparityOf = []string{"accuracy", "balanced_accuracy", "f1_macro", "selection_rate", "true_positive_rate", "false_positive_rate", "mae", "rmse"}

func (c *collected) fairness(rep *Report, o Options) (*Fairness, error) {
	g := c.fairGroups()
	f := &Fairness{Columns: c.groupCols, Groups: map[string]map[string]float64{}, Metrics: map[string]float64{}, MinGroupSize: o.MinGroupSize}
	members := make([][]int, len(g.Names))
	for j, id := range g.IDs {
		members[id] = append(members[id], j)
	}
	for id, idx := range members {
		f.Groups[g.Names[id]] = c.metricsOf(idx, o)
	}
	if pos, ok, err := c.positive(o); err != nil {
		return nil, err
	} else if ok {
		f.PositiveClass = rep.Classes[pos]
		c.parity(f, g, pos)
	} else if !c.regress {
		rep.Warnings = append(rep.Warnings, "no selection-rate fairness figures: name the positive class of a multi-class model (--positive)")
	}
	for _, name := range disparityOf {
		c.disparity(f, g, rep, name)
	}
	f.SmallGroups = g.Small(o.MinGroupSize)
	if len(f.SmallGroups) > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("groups with fewer than %d rows are too small to judge: %s", o.MinGroupSize, strings.Join(f.SmallGroups, "; ")))
	}
	return f, nil
}

// fairGroups are the rows' groups with sorted names.
func (c *collected) fairGroups() *fairness.Groups {
	names := slices.Clone(c.groupKeys.names)
	slices.Sort(names)
	remap := make([]int, len(names))
	for i, n := range names {
		remap[c.groupKeys.ids[n]] = i
	}
	g := &fairness.Groups{Columns: c.groupCols, Names: names, IDs: sliceOf(&c.groups, func(id int32) int { return remap[id] })}
	return g
}

func (c *collected) positive(o Options) (int, bool, error) {
	if c.regress {
		return 0, false, nil
	}
	if o.Positive != "" {
		if t, ok := c.classes[o.Positive]; ok {
			return t, true, nil
		}
		return 0, false, fmt.Errorf("positive class %q is not one of the model's classes (%s)", o.Positive, shortList(c.classNames()))
	}
	return 1, c.k == 2, nil
}

// parity adds the selection-rate figures for the positive class.
func (c *collected) parity(f *Fairness, g *fairness.Groups, pos int) {
	yTrue, yPred := sliceOf(&c.yTrue, func(t int32) int { return int(t) }), make([]int, c.yTrue.len())
	for j := range yPred {
		yPred[j] = c.predicted(j)
	}
	var w []float64
	if c.weighted {
		w = sliceOf(&c.weights, func(v float64) float64 { return v })
	}
	p, err := fairness.ComputeParity(g, yTrue, yPred, w, pos)
	if err != nil {
		return
	}
	for name, d := range map[string]fairness.Disparity{"selection_rate": p.SelectionRate, "true_positive_rate": p.TruePositiveRate, "false_positive_rate": p.FalsePositiveRate} {
		for group, v := range d.ByGroup {
			f.Groups[group][name] = v
		}
	}
	f.Metrics["demographic_parity_difference"] = p.DemographicParityDifference
	f.Metrics["demographic_parity_ratio"] = p.DemographicParityRatio
	f.Metrics["equalized_odds_difference"] = p.EqualizedOddsDifference
	f.Metrics["equalized_odds_ratio"] = p.EqualizedOddsRatio
	f.Metrics["equal_opportunity_difference"] = p.EqualOpportunityDifference
	f.Metrics["selection_rate_overall"] = p.SelectionRate.Overall
	f.Metrics["true_positive_rate_overall"] = p.TruePositiveRate.Overall
	f.Metrics["false_positive_rate_overall"] = p.FalsePositiveRate.Overall
}

// disparity adds M_group_min … M_ratio_to_overall for a group metric.
func (c *collected) disparity(f *Fairness, g *fairness.Groups, rep *Report, name string) {
	overall, ok := rep.Metrics[name]
	if !ok {
		overall, ok = f.Metrics[name+"_overall"]
	}
	if !ok {
		return
	}
	by := make([]float64, len(g.Names))
	for id, n := range g.Names {
		v, ok := f.Groups[n][name]
		if !ok {
			v = math.NaN()
		}
		by[id] = v
	}
	d := fairness.Summarise(g, by, overall)
	for suffix, v := range map[string]float64{"group_min": d.Min, "group_max": d.Max, "difference": d.Difference, "ratio": d.Ratio, "difference_to_overall": d.DifferenceToOverall, "ratio_to_overall": d.RatioToOverall} {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			f.Metrics[name+"_"+suffix] = v
		}
	}
}
