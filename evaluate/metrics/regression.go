package metrics

import (
	"fmt"
	"math"
)

// Regression are the regression figures, weighted as scikit-learn's
// mean_absolute_error, mean_squared_error (RMSE its root), r2_score and
// mean_absolute_percentage_error.
type Regression struct {
	MAE  float64 `json:"mae"`
	RMSE float64 `json:"rmse"`
	R2   float64 `json:"r2"`
	MAPE float64 `json:"mape"`
}

// Regress computes the regression figures.
func Regress(yTrue, yPred, w []float64) (*Regression, error) {
	n := len(yTrue)
	if n == 0 || len(yPred) != n || (w != nil && len(w) != n) {
		return nil, fmt.Errorf("%w: %d targets, %d predictions, %d weights", ErrInput, n, len(yPred), len(w))
	}
	const eps = 0x1p-52
	var sw, mean float64
	for i, y := range yTrue {
		sw += weight(w, i)
		mean += weight(w, i) * y
	}
	mean /= sw
	var abs, sq, pct, tot float64
	for i, y := range yTrue {
		wi, d := weight(w, i), y-yPred[i]
		abs += wi * math.Abs(d)
		sq += wi * d * d
		pct += wi * math.Abs(d) / math.Max(math.Abs(y), eps)
		tot += wi * (y - mean) * (y - mean)
	}
	r := &Regression{MAE: abs / sw, RMSE: math.Sqrt(sq / sw), MAPE: pct / sw}
	switch {
	case tot != 0:
		r.R2 = 1 - sq/tot
	case sq == 0:
		r.R2 = 1
	}
	return r, nil
}
