package drift

import (
	"fmt"
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
	// The smallest share that at most alpha·windows windows exceed.
	k := min(int(float64(windows)*(1-alpha)), windows-1)
	from := "rows"
	if len(rows) == 0 {
		from = "sketch"
	}
	return &Calibration{Window: window, Alpha: alpha, Threshold: scores[k], Windows: windows, From: from}, nil
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
