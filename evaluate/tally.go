package evaluate

import (
	"math"

	"github.com/inferd/inferd/evaluate/metrics"
)

// tally holds the overall figures that add up row by row, over every row
// of the dataset, in memory that does not grow with it: the weighted
// confusion matrix, top-k hits, log loss, calibration bins, and the
// regression sums. When the rows outnumber the kept sample, the report's
// overall figures come from here, exactly, and only the figures that need
// every row at once (ranking curves, intervals, slices, groups) from the
// sample.
type tally struct {
	k, topK, bins int
	weight        float64 // total weight (rows when unweighted)

	counts  [][]float64 // [true][predicted]
	topKHit float64
	logLoss float64 // Σ w·loss
	logOK   bool
	cal     []metrics.Bin // sums: Weight, Σw·confidence, Σw·correct

	// regression: weighted mean and sum of squared deviations of the
	// targets (West's update), and Σw·|d|, Σw·d², Σw·|d|/|y|.
	mean, m2, abs, sq, pct float64
}

func newTally(k, topK, bins int) *tally {
	t := &tally{k: k, topK: topK, bins: bins, counts: make([][]float64, k), cal: make([]metrics.Bin, bins), logOK: true}
	for i := range t.counts {
		t.counts[i] = make([]float64, k)
	}
	return t
}

// addClasses adds a batch of classified rows, through the metrics
// package's own functions so that the figures are computed as on the
// whole dataset.
func (t *tally) addClasses(s *subset) {
	var bw float64
	for i := range s.yTrue {
		w := 1.0
		if s.w != nil {
			w = s.w[i]
		}
		bw += w
		t.counts[s.yTrue[i]][s.yPred[i]] += w
	}
	t.weight += bw
	if bw == 0 {
		return
	}
	if v, err := metrics.TopKAccuracy(s.yTrue, s.scores, s.w, t.topK); err == nil {
		t.topKHit += v * bw
	}
	if v, err := metrics.LogLoss(s.yTrue, s.scores, s.w); err == nil {
		t.logLoss += v * bw
	} else {
		t.logOK = false
	}
	if c, err := metrics.ExpectedCalibration(s.yTrue, s.scores, s.w, t.bins); err == nil {
		for b, bin := range c.Bins {
			t.cal[b].Weight += bin.Weight
			t.cal[b].Confidence += bin.Confidence * bin.Weight
			t.cal[b].Accuracy += bin.Accuracy * bin.Weight
		}
	}
}

// addValues adds a batch of regression rows.
func (t *tally) addValues(s *subset) {
	const eps = 0x1p-52
	for i, y := range s.yv {
		w := 1.0
		if s.w != nil {
			w = s.w[i]
		}
		if w == 0 {
			continue
		}
		t.weight += w
		delta := y - t.mean
		t.mean += w / t.weight * delta
		t.m2 += w * delta * (y - t.mean)
		d := y - s.pv[i]
		t.abs += w * math.Abs(d)
		t.sq += w * d * d
		t.pct += w * math.Abs(d) / math.Max(math.Abs(y), eps)
	}
}

// regression is the regression figures of every row.
func (t *tally) regression(rows int) map[string]float64 {
	r := map[string]float64{"rows": float64(rows), "mae": t.abs / t.weight, "rmse": math.Sqrt(t.sq / t.weight), "mape": t.pct / t.weight}
	switch {
	case t.m2 != 0:
		r["r2"] = 1 - t.sq/t.m2
	case t.sq == 0:
		r["r2"] = 1
	default:
		r["r2"] = 0
	}
	return r
}

// classification replaces the report's overall count figures with those
// of every row.
func (t *tally) classification(rep *Report, o Options) {
	cm := &metrics.Confusion{Counts: t.counts}
	avg := cm.Average()
	for name, v := range map[string]float64{
		"rows": float64(rep.Rows), "accuracy": cm.Accuracy(), "balanced_accuracy": cm.BalancedAccuracy(),
		"precision_macro": avg.Macro.Precision, "recall_macro": avg.Macro.Recall, "f1_macro": avg.Macro.F1,
		"precision_micro": avg.Micro.Precision, "recall_micro": avg.Micro.Recall, "f1_micro": avg.Micro.F1,
		"precision_weighted": avg.Weighted.Precision, "recall_weighted": avg.Weighted.Recall, "f1_weighted": avg.Weighted.F1,
	} {
		rep.Metrics[name] = v
	}
	if o.TopK < t.k {
		rep.Metrics["top_k_accuracy"] = t.topKHit / t.weight
	}
	delete(rep.Metrics, "log_loss")
	if t.logOK {
		rep.Metrics["log_loss"] = t.logLoss / t.weight
	}
	rep.ConfusionMatrix = t.counts
	for i, cs := range cm.PerClass() {
		rep.PerClass[i].ClassScores = cs
	}
	t.calibration(rep)
}

// calibration sets the reliability curve and ECE of every row.
func (t *tally) calibration(rep *Report) {
	ece := 0.0
	bins := make([]metrics.Bin, len(t.cal))
	for b, sum := range t.cal {
		bin := metrics.Bin{Lower: float64(b) / float64(t.bins), Upper: float64(b+1) / float64(t.bins), Weight: sum.Weight}
		if sum.Weight > 0 {
			bin.Confidence, bin.Accuracy = sum.Confidence/sum.Weight, sum.Accuracy/sum.Weight
			ece += sum.Weight / t.weight * math.Abs(bin.Accuracy-bin.Confidence)
		}
		bins[b] = bin
	}
	rep.Reliability = bins
	rep.Metrics["expected_calibration_error"] = ece
}
