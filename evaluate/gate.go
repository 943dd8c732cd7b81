package evaluate

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Gate is a gates.yaml: what a report must satisfy.
type Gate struct {
	// Baseline is the version (number or label) that change thresholds
	// compare against, evaluated on the same dataset.
	Baseline string `yaml:"baseline"`
	// Metrics bound the overall metrics.
	Metrics map[string]Bound `yaml:"metrics"`
	// Changes bound each metric's change from the baseline.
	Changes map[string]Change `yaml:"changes"`
	// Slices bound the metrics of a slice column's values: the key is a
	// column (every value) or column=value (that value).
	Slices map[string]map[string]Bound `yaml:"slices"`
	// Groups bound each fairness group's metrics.
	Groups map[string]Bound `yaml:"groups"`
	// Fairness bounds the fairness figures (demographic_parity_ratio,
	// equalized_odds_difference, accuracy_difference, …).
	Fairness map[string]Bound `yaml:"fairness"`
}

// Bound is an inclusive range; either end may be left out.
type Bound struct {
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
}

// Change bounds a metric's change from the baseline, TFMA's way: the
// improvement (candidate − baseline when higher is better, baseline −
// candidate when lower is better) must be at least Absolute, and the
// improvement relative to |baseline| at least Relative. Negative values
// allow that much of a regression.
type Change struct {
	// Direction is higher_is_better or lower_is_better (default: lower
	// for losses, errors and disparities, higher otherwise).
	Direction string   `yaml:"direction"`
	Absolute  *float64 `yaml:"absolute"`
	Relative  *float64 `yaml:"relative"`
}

// LoadGate reads and checks a gates.yaml (unknown keys are errors).
func LoadGate(path string) (*Gate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gate: %w", err)
	}
	g, err := ParseGate(b)
	if err != nil {
		return nil, fmt.Errorf("gate %s: %w", path, err)
	}
	return g, nil
}

// ParseGate parses a gates.yaml.
func ParseGate(b []byte) (*Gate, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	g := &Gate{}
	if err := dec.Decode(g); err != nil {
		return nil, err
	}
	check := func(where string, b Bound) error {
		if b.Min == nil && b.Max == nil {
			return fmt.Errorf("%s: give min, max or both", where)
		}
		if b.Min != nil && b.Max != nil && *b.Min > *b.Max {
			return fmt.Errorf("%s: min %v is above max %v", where, *b.Min, *b.Max)
		}
		return nil
	}
	for _, sec := range []struct {
		name string
		m    map[string]Bound
	}{{"metrics", g.Metrics}, {"groups", g.Groups}, {"fairness", g.Fairness}} {
		for k, b := range sec.m {
			if err := check(sec.name+"."+k, b); err != nil {
				return nil, err
			}
		}
	}
	for s, m := range g.Slices {
		for k, b := range m {
			if err := check("slices."+s+"."+k, b); err != nil {
				return nil, err
			}
		}
	}
	for k, c := range g.Changes {
		if c.Absolute == nil && c.Relative == nil {
			return nil, fmt.Errorf("changes.%s: give absolute, relative or both", k)
		}
		if c.Direction != "" && c.Direction != "higher_is_better" && c.Direction != "lower_is_better" {
			return nil, fmt.Errorf("changes.%s: direction %q is not higher_is_better or lower_is_better", k, c.Direction)
		}
	}
	if len(g.Changes) > 0 && g.Baseline == "" {
		return nil, errors.New("changes need a baseline version or label")
	}
	return g, nil
}

// Failure is one check a report failed.
type Failure struct {
	// Check says what was checked: "metrics.accuracy >= 0.95",
	// "changes.accuracy vs 2", "slices.region=north.accuracy", ….
	Check  string  `json:"check"`
	Metric string  `json:"metric"`
	Scope  string  `json:"scope"`
	Value  float64 `json:"value"`
	Bound  string  `json:"bound"`
	// By is how far outside the bound the value is (0 when the metric is
	// missing from the report).
	By      float64 `json:"by"`
	Missing bool    `json:"missing,omitempty"`
}

// GateResult is the outcome of a gate.
type GateResult struct {
	Passed   bool      `json:"passed"`
	Checked  int       `json:"checked"`
	Baseline string    `json:"baseline,omitempty"`
	Failures []Failure `json:"failures,omitempty"`
	// GroupBounds are the gate's per-group bounds, for the plots.
	GroupBounds map[string]Bound `json:"-"`
}

// lowerIsBetter guesses a metric's direction from its name.
func lowerIsBetter(metric string) bool {
	for _, s := range []string{"loss", "error", "mae", "rmse", "mape", "_difference", "false_positive_rate"} {
		if strings.Contains(metric, s) {
			return true
		}
	}
	return false
}

// Apply checks the report (and, for change thresholds, the baseline's
// report, which may be nil when the gate has none).
func (g *Gate) Apply(rep, base *Report) *GateResult {
	r := &GateResult{GroupBounds: g.Groups}
	bound := func(scope, metric string, m map[string]float64, b Bound) {
		r.Checked++
		name := scope + "." + metric
		v, ok := m[metric]
		if !ok || math.IsNaN(v) {
			r.Failures = append(r.Failures, Failure{Check: name + " is in the report", Metric: metric, Scope: scope, Bound: b.String(), Missing: true})
			return
		}
		if b.Min != nil && v < *b.Min {
			r.Failures = append(r.Failures, Failure{Check: fmt.Sprintf("%s >= %g", name, *b.Min), Metric: metric, Scope: scope, Value: v, Bound: b.String(), By: *b.Min - v})
		}
		if b.Max != nil && v > *b.Max {
			r.Failures = append(r.Failures, Failure{Check: fmt.Sprintf("%s <= %g", name, *b.Max), Metric: metric, Scope: scope, Value: v, Bound: b.String(), By: v - *b.Max})
		}
	}
	for _, k := range sortedKeys(g.Metrics) {
		bound("metrics", k, rep.Metrics, g.Metrics[k])
	}
	g.applySlices(rep, bound)
	g.applyGroups(rep, bound)
	if len(g.Changes) > 0 {
		g.applyChanges(r, rep, base)
	}
	r.Passed = len(r.Failures) == 0
	return r
}

func (g *Gate) applySlices(rep *Report, bound func(scope, metric string, m map[string]float64, b Bound)) {
	for _, key := range sortedKeys(g.Slices) {
		col, value, one := strings.Cut(key, "=")
		values := rep.Slices[col]
		names := sortedKeys(values)
		if one {
			names = []string{value}
		}
		if len(names) == 0 {
			names = []string{"(no slice " + col + " in the report)"}
		}
		for _, v := range names {
			for _, metric := range sortedKeys(g.Slices[key]) {
				bound("slices."+col+"="+v, metric, values[v], g.Slices[key][metric])
			}
		}
	}
}

func (g *Gate) applyGroups(rep *Report, bound func(scope, metric string, m map[string]float64, b Bound)) {
	f := rep.Fairness
	if f == nil {
		f = &Fairness{}
	}
	for _, k := range sortedKeys(g.Fairness) {
		bound("fairness", k, f.Metrics, g.Fairness[k])
	}
	groups := sortedKeys(f.Groups)
	if len(g.Groups) > 0 && len(groups) == 0 {
		groups = []string{"(no groups in the report)"}
	}
	for _, name := range groups {
		if slices.Contains(f.SmallGroups, name) {
			continue // too small to judge; the report warns
		}
		for _, k := range sortedKeys(g.Groups) {
			bound("groups."+name, k, f.Groups[name], g.Groups[k])
		}
	}
}

func (g *Gate) applyChanges(r *GateResult, rep, base *Report) {
	r.Baseline = g.Baseline
	for _, k := range sortedKeys(g.Changes) {
		c := g.Changes[k]
		r.Checked++
		scope := "changes"
		v, ok := rep.Metrics[k]
		var bv float64
		if base != nil {
			var bok bool
			bv, bok = base.Metrics[k]
			ok = ok && bok
			r.Baseline = fmt.Sprintf("%s (version %s)", g.Baseline, base.Version)
		}
		if !ok || base == nil {
			r.Failures = append(r.Failures, Failure{Check: "changes." + k + " has a baseline value", Metric: k, Scope: scope, Missing: true})
			continue
		}
		lower := lowerIsBetter(k)
		if c.Direction != "" {
			lower = c.Direction == "lower_is_better"
		}
		gain := v - bv
		if lower {
			gain = bv - v
		}
		if c.Absolute != nil && gain < *c.Absolute {
			r.Failures = append(r.Failures, Failure{Check: fmt.Sprintf("changes.%s improvement over baseline %.6g >= %g", k, bv, *c.Absolute),
				Metric: k, Scope: scope, Value: v, Bound: fmt.Sprintf("improvement >= %g", *c.Absolute), By: *c.Absolute - gain})
		}
		if c.Relative != nil && bv != 0 && gain/math.Abs(bv) < *c.Relative {
			r.Failures = append(r.Failures, Failure{Check: fmt.Sprintf("changes.%s relative improvement over baseline %.6g >= %g", k, bv, *c.Relative),
				Metric: k, Scope: scope, Value: v, Bound: fmt.Sprintf("relative improvement >= %g", *c.Relative), By: *c.Relative - gain/math.Abs(bv)})
		}
	}
}

func (b Bound) String() string {
	switch {
	case b.Min != nil && b.Max != nil:
		return fmt.Sprintf("[%g, %g]", *b.Min, *b.Max)
	case b.Min != nil:
		return fmt.Sprintf(">= %g", *b.Min)
	case b.Max != nil:
		return fmt.Sprintf("<= %g", *b.Max)
	}
	return "any"
}
