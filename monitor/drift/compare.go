package drift

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Corrections for multiple testing.
const (
	CorrectionFDR        = "fdr"        // Benjamini–Hochberg
	CorrectionBonferroni = "bonferroni" // family-wise
)

// Config chooses the tests and their levels.
type Config struct {
	// Level is the per-feature level after correction (default 0.05).
	Level float64
	// Correction is CorrectionFDR (default) or CorrectionBonferroni.
	Correction string
	// LargeWindow is the window size from which distances replace
	// p-values (which flag everything on large samples): normalised
	// Wasserstein for numbers, Jensen–Shannon for categories (default 1000).
	LargeWindow int
	// DistanceThreshold is the distance above which a feature drifts in a
	// large window (default 0.1).
	DistanceThreshold float64
	// PSI also computes the population stability index of each feature.
	PSI bool
	// Share is the share of drifted features that is dataset drift when
	// the profile is not calibrated (default 0.5).
	Share float64
}

func (c Config) withDefaults() Config {
	if c.Level <= 0 {
		c.Level = 0.05
	}
	if c.Correction == "" {
		c.Correction = CorrectionFDR
	}
	if c.LargeWindow <= 0 {
		c.LargeWindow = 1000
	}
	if c.DistanceThreshold <= 0 {
		c.DistanceThreshold = 0.1
	}
	if c.Share <= 0 {
		c.Share = 0.5
	}
	return c
}

// Validate reports a configuration that cannot be used.
func (c Config) Validate() error {
	if c.Level < 0 || c.Level >= 1 || c.Share < 0 || c.Share > 1 {
		return fmt.Errorf("drift: level must be in [0, 1) and share in [0, 1]")
	}
	if c.Correction != "" && c.Correction != CorrectionFDR && c.Correction != CorrectionBonferroni {
		return fmt.Errorf("drift: correction %q is not fdr or bonferroni", c.Correction)
	}
	return nil
}

// FeatureResult is one feature's test in a window.
type FeatureResult struct {
	Feature string `json:"feature"`
	// Test is ks, wasserstein, chisquare or jensenshannon.
	Test string `json:"test"`
	// Score is the test's statistic or distance; PValue is NaN for distances.
	Score   float64 `json:"score"`
	PValue  float64 `json:"p_value"`
	PSI     float64 `json:"psi,omitempty"`
	Drifted bool    `json:"drifted"`
	// Missing is the window's share of rows without the feature.
	Missing float64 `json:"missing"`
}

// Report is the drift of one window.
type Report struct {
	Rows     int             `json:"rows"`
	Features []FeatureResult `json:"features"`
	// Share is the share of drifted features.
	Share float64 `json:"share"`
	// Score is the dataset drift score: −log10 of the smallest corrected
	// p-value (the share when every test is a distance). A calibrated
	// profile alarms when it exceeds Threshold; an uncalibrated one when
	// Share reaches Config.Share (Threshold is then that share).
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	Detected  bool    `json:"detected"`
	// Prediction is the test of the predicted classes (nil without a
	// classifier output).
	Prediction *FeatureResult `json:"prediction,omitempty"`
	// EstimatedAccuracy is the window's mean confidence: the accuracy a
	// calibrated classifier expects without labels (CBPE's estimate; NaN
	// without a classifier output). ReferenceConfidence is the same mean
	// over the profile, to compare it with.
	EstimatedAccuracy   float64 `json:"estimated_accuracy"`
	ReferenceConfidence float64 `json:"reference_confidence"`
}

// Compare tests a window of rows against the profile. It caches the
// sketches' CDFs in p: do not call it on one profile from several
// goroutines at once.
func Compare(p *Profile, rows []Row, cfg Config) Report {
	cfg = cfg.withDefaults()
	rep := Report{Rows: len(rows)}
	if len(rows) == 0 {
		return rep
	}
	for _, name := range p.Features() {
		if r, ok := compareFeature(p, name, rows, cfg); ok {
			rep.Features = append(rep.Features, r)
		}
	}
	rep.Score = correct(rep.Features, cfg)
	drifted := 0
	for i, f := range rep.Features {
		if f.Drifted {
			drifted++
		}
		if isClass(f.Feature) && (rep.Prediction == nil || f.Feature < rep.Prediction.Feature) {
			rep.Prediction = &rep.Features[i]
		}
	}
	if len(rep.Features) > 0 {
		rep.Share = float64(drifted) / float64(len(rep.Features))
	}
	rep.EstimatedAccuracy, rep.ReferenceConfidence = estimateAccuracy(p, rows)
	if math.IsNaN(rep.Score) {
		rep.Score = rep.Share
	}
	rep.Threshold = cfg.Share
	if c := p.Calibration; c != nil && c.Window == len(rows) {
		rep.Threshold = c.Threshold
		rep.Detected = rep.Score > c.Threshold
	} else {
		rep.Detected = rep.Share >= cfg.Share
	}
	return rep
}

func isClass(feature string) bool {
	return len(feature) > 6 && feature[len(feature)-6:] == ".class"
}

// compareFeature runs the feature's test; ok is false when the window has
// no value of it.
func compareFeature(p *Profile, name string, rows []Row, cfg Config) (FeatureResult, bool) {
	res := FeatureResult{Feature: name, PValue: math.NaN()}
	if n, ok := p.Numeric[name]; ok {
		var vals []float64
		for _, r := range rows {
			if v, ok := r.Num[name]; ok && !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		res.Missing = 1 - float64(len(vals))/float64(len(rows))
		if len(vals) == 0 || n.Count == 0 {
			return res, false
		}
		if len(vals) < cfg.LargeWindow {
			res.Test = "ks"
			xs, cdf := n.cdf()
			res.Score, res.PValue = ks(xs, cdf, n.Sketch.N, vals)
		} else {
			res.Test = "wasserstein"
			res.Score = wasserstein(n.Sketch, vals, n.Std())
			res.Drifted = res.Score > cfg.DistanceThreshold
		}
		if cfg.PSI {
			res.PSI = numericPSI(n.Sketch, vals)
		}
		return res, true
	}
	c := p.Categorical[name]
	var vals []string
	for _, r := range rows {
		if v, ok := r.Cat[name]; ok {
			vals = append(vals, v)
		}
	}
	res.Missing = 1 - float64(len(vals))/float64(len(rows))
	if len(vals) == 0 || c.Count == 0 {
		return res, false
	}
	_, refShare, winCount := shares(c.Frequent, vals)
	if len(vals) < cfg.LargeWindow {
		res.Test = "chisquare"
		res.Score, res.PValue = chiSquare(refShare, winCount)
	} else {
		res.Test = "jensenshannon"
		res.Score = jensenShannon(refShare, winCount)
		res.Drifted = res.Score > cfg.DistanceThreshold
	}
	if cfg.PSI {
		win := make([]float64, len(winCount))
		for i, w := range winCount {
			win[i] = w / float64(len(vals))
		}
		res.PSI = psi(refShare, win)
	}
	return res, true
}

// correct marks the features whose p-values the correction rejects and
// returns −log10 of the smallest corrected p-value (NaN without any).
func correct(fs []FeatureResult, cfg Config) float64 {
	var idx []int
	var pvals []float64
	for i, f := range fs {
		if !math.IsNaN(f.PValue) {
			idx = append(idx, i)
			pvals = append(pvals, f.PValue)
		}
	}
	if len(pvals) == 0 {
		return math.NaN()
	}
	for k, rej := range rejected(pvals, cfg.Level, cfg.Correction) {
		fs[idx[k]].Drifted = rej
	}
	return -math.Log10(max(minAdjusted(pvals, cfg.Correction), 1e-300))
}

// Top returns the n features with the lowest p-values (highest scores
// for distances) first.
func (r Report) Top(n int) []FeatureResult {
	fs := append([]FeatureResult(nil), r.Features...)
	sort.SliceStable(fs, func(i, j int) bool { return rank(fs[i]) > rank(fs[j]) })
	return fs[:min(n, len(fs))]
}

func rank(f FeatureResult) float64 {
	if math.IsNaN(f.PValue) {
		return f.Score
	}
	return 1 - f.PValue + 1 // p-values rank above distances
}

// estimateAccuracy is the mean confidence of the window and of the
// reference, for the first classifier output (by name); NaN without one.
func estimateAccuracy(p *Profile, rows []Row) (window, reference float64) {
	feature := ""
	for _, name := range p.Features() {
		if n, ok := p.Numeric[name]; ok && n.Count > 0 && strings.HasSuffix(name, ".confidence") {
			feature = name
			break
		}
	}
	if feature == "" {
		return math.NaN(), math.NaN()
	}
	sum, n := 0.0, 0
	for _, r := range rows {
		if v, ok := r.Num[feature]; ok && !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	if n == 0 {
		return math.NaN(), p.Numeric[feature].Mean
	}
	return sum / float64(n), p.Numeric[feature].Mean
}

// MarshalJSON writes a NaN p-value (a distance test) as null.
func (f FeatureResult) MarshalJSON() ([]byte, error) {
	type plain FeatureResult
	return json.Marshal(struct {
		plain
		PValue *float64 `json:"p_value"`
	}{plain(f), finite(f.PValue)})
}

// MarshalJSON writes NaN estimates (no classifier output) as null.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		plain
		EstimatedAccuracy   *float64 `json:"estimated_accuracy"`
		ReferenceConfidence *float64 `json:"reference_confidence"`
	}{plain(r), finite(r.EstimatedAccuracy), finite(r.ReferenceConfidence)})
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
