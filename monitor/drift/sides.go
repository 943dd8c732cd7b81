package drift

import (
	"maps"
	"math"
	"slices"
)

// Side sets a numeric feature's reference (the profile) beside the
// current window: counts, means and standard deviations, for display.
type Side struct {
	Feature  string  `json:"feature"`
	RefCount int64   `json:"reference_count"`
	RefMean  float64 `json:"reference_mean"`
	RefStd   float64 `json:"reference_std"`
	Count    int     `json:"count"`
	Mean     float64 `json:"mean"`
	Std      float64 `json:"std"`
}

// Sides summarises the profile's numeric features beside a window of rows,
// sorted by feature (nil without a profile).
func Sides(p *Profile, rows []Row) []Side {
	if p == nil {
		return nil
	}
	out := make([]Side, 0, len(p.Numeric))
	for _, name := range slices.Sorted(maps.Keys(p.Numeric)) {
		n := p.Numeric[name]
		s := Side{Feature: name, RefCount: n.Count, RefMean: n.Mean, RefStd: n.Std()}
		var sum, sq float64
		for _, r := range rows {
			if v, ok := r.Num[name]; ok && !math.IsNaN(v) {
				s.Count++
				sum += v
				sq += v * v
			}
		}
		if s.Count > 0 {
			s.Mean = sum / float64(s.Count)
			s.Std = math.Sqrt(max(sq/float64(s.Count)-s.Mean*s.Mean, 0))
		}
		out = append(out, s)
	}
	return out
}

// LastSides returns the reference beside the version's last window (see
// Sides), or nil before its first window.
func (w *Watcher) LastSides(model string, version int) []Side {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sides[versionKey{model, version}]
}
