package drift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Calibration is the dataset drift score threshold of one window size:
// windows drawn from the reference exceed it at rate Alpha.
type Calibration struct {
	Window    int     `json:"window"`
	Alpha     float64 `json:"alpha"`
	Threshold float64 `json:"threshold"`
	// Windows is the number of reference windows the threshold came from.
	Windows int `json:"windows"`
	// Confidence is the probability that the threshold's own false alarm
	// rate is at most Alpha (not only on average over calibrations).
	Confidence float64 `json:"confidence,omitempty"`
	// From says how they were drawn: "rows" (resampled reference rows) or
	// "sketch" (each feature drawn from its sketch, independently).
	From string `json:"from"`
}

// Calibrate sets p's threshold for windows of size window so that windows
// drawn from the reference alarm at rate alpha: it compares windows
// windows drawn (with replacement) from rows, or from the sketches when
// rows is empty, and takes the (1−alpha) quantile of their scores. Rows keep the features' correlations; the sketches do not, and
// then underestimate the threshold of correlated features.
func Calibrate(p *Profile, rows []Row, window, windows int, alpha float64, cfg Config, seed uint64) (*Calibration, error) {
	if window < 1 || windows < 20 || alpha <= 0 || alpha >= 1 {
		return nil, fmt.Errorf("drift: calibration needs a window ≥ 1, ≥ 20 windows and 0 < alpha < 1")
	}
	r := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	draw := rowDrawer(p, rows)
	saved := p.Calibration
	p.Calibration = nil
	defer func() { p.Calibration = saved }()
	scores := make([]float64, windows)
	win := make([]Row, window)
	for w := range windows {
		for i := range win {
			win[i] = draw(r)
		}
		scores[w] = Compare(p, win, cfg).Score
	}
	slices.Sort(scores)
	k := thresholdRank(windows, alpha, calibrationConfidence)
	from := "rows"
	if len(rows) == 0 {
		from = "sketch"
	}
	return &Calibration{Window: window, Alpha: alpha, Threshold: scores[k], Windows: windows,
		Confidence: calibrationConfidence, From: from}, nil
}

// calibrationConfidence is the probability that a calibrated threshold's
// false alarm rate is at most alpha. The (1−alpha) quantile of the
// windows' scores alone alarms at alpha only on average over
// calibrations: from 400 windows its rate spreads by ±0.005 around 0.01
// (4 windows above it decide it), and one calibration is all a profile
// gets.
const calibrationConfidence = 0.9

// thresholdRank is the index, among n sorted calibration scores, of the
// threshold whose false alarm rate is at most alpha with probability
// conf. With the scores of exchangeable windows, the rate of the score of
// rank k (from 0) exceeds alpha exactly when at least k+1 of n uniform
// draws fall below 1−alpha: the rank is the smallest k with
// P(Binomial(n, 1−alpha) ≥ k+1) ≤ 1−conf.
func thresholdRank(n int, alpha, conf float64) int {
	// P(Binomial(n, 1−alpha) ≥ k+1) = P(Binomial(n, alpha) ≤ n−k−1).
	cdf := 0.0 // P(Binomial(n, alpha) ≤ m)
	for m := 0; m < n; m++ {
		cdf += binomialPMF(n, m, alpha)
		if cdf > 1-conf {
			return min(n-m, n-1) // k = n−m: P(≤ n−k−1) = P(≤ m−1) ≤ 1−conf
		}
	}
	return n - 1
}

func binomialPMF(n, m int, p float64) float64 {
	ln, _ := math.Lgamma(float64(n + 1))
	lm, _ := math.Lgamma(float64(m + 1))
	lr, _ := math.Lgamma(float64(n - m + 1))
	return math.Exp(ln - lm - lr + float64(m)*math.Log(p) + float64(n-m)*math.Log1p(-p))
}

// rowDrawer draws reference rows: resampled rows, or features drawn
// independently from the sketches.
func rowDrawer(p *Profile, rows []Row) func(*rand.Rand) Row {
	if len(rows) > 0 {
		return func(r *rand.Rand) Row { return rows[r.IntN(len(rows))] }
	}
	names := p.Features() // in order, so that a seed gives the same draws
	num := make([]func(*rand.Rand) float64, len(names))
	cat := make([]func(*rand.Rand) string, len(names))
	for i, name := range names {
		if n, ok := p.Numeric[name]; ok {
			num[i] = n.Sketch.Sampler()
		} else {
			cat[i] = p.Categorical[name].Frequent.Sampler()
		}
	}
	return func(r *rand.Rand) Row {
		row := Row{Num: map[string]float64{}, Cat: map[string]string{}}
		for i, name := range names {
			if num[i] != nil {
				row.Num[name] = num[i](r)
			} else {
				row.Cat[name] = cat[i](r)
			}
		}
		return row
	}
}
