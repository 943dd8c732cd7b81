package evaluate

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/inferd/inferd/evaluate/metrics"
)

// Report is every figure of an evaluation. Metric maps use snake_case
// names (accuracy, f1_macro, roc_auc, demographic_parity_difference, …);
// gates refer to them by these names.
type Report struct {
	Model   string   `json:"model"`
	Version string   `json:"version"`
	Dataset string   `json:"dataset"`
	Task    string   `json:"task"`
	Rows    int      `json:"rows"`
	Classes []string `json:"classes,omitempty"`
	TopK    int      `json:"top_k,omitempty"`
	Batch   int      `json:"batch"`
	// SampledRows, when set, is the size of the uniform sample of rows
	// that the figures needing every row at once were computed on
	// (Options.ExactRows).
	SampledRows int `json:"sampled_rows,omitempty"`

	Metrics   map[string]float64          `json:"metrics"`
	Intervals map[string]metrics.Interval `json:"intervals,omitempty"`

	PerClass        []ClassReport    `json:"per_class,omitempty"`
	ConfusionMatrix [][]float64      `json:"confusion_matrix,omitempty"`
	ROC             []metrics.Curve  `json:"roc_curves,omitempty"`
	PR              []metrics.Curve  `json:"pr_curves,omitempty"`
	CurveClasses    []string         `json:"curve_classes,omitempty"`
	Reliability     []metrics.Bin    `json:"reliability,omitempty"`
	Latency         Latency          `json:"latency"`
	Slices          map[string]Slice `json:"slices,omitempty"`
	Fairness        *Fairness        `json:"fairness,omitempty"`
	Warnings        []string         `json:"warnings,omitempty"`
}

// ClassReport is one class's figures.
type ClassReport struct {
	Class string `json:"class"`
	metrics.ClassScores
	ROCAUC           *float64 `json:"roc_auc,omitempty"`
	AveragePrecision *float64 `json:"average_precision,omitempty"`
}

// Slice is the metrics of each value of a slice column.
type Slice map[string]map[string]float64

// subset is the rows of idx in the metrics package's form.
type subset struct {
	yTrue, yPred []int
	scores       metrics.Scores
	w            []float64
	yv, pv       []float64 // regression
}

func (c *collected) subset(idx []int) *subset { return c.subsetInto(&subset{}, idx) }

// subsetInto is subset in s, reusing its slices.
func (c *collected) subsetInto(s *subset, idx []int) *subset {
	if c.weighted {
		s.w = resize(s.w, len(idx))
		for i, j := range idx {
			s.w[i] = c.weights.at(j)
		}
	}
	if c.regress {
		s.yv, s.pv = resize(s.yv, len(idx)), resize(s.pv, len(idx))
		for i, j := range idx {
			s.yv[i], s.pv[i] = c.yValue.at(j), float64(c.scores.at(j))
		}
		return s
	}
	s.yTrue, s.yPred = resize(s.yTrue, len(idx)), resize(s.yPred, len(idx))
	s.scores = metrics.Scores{K: c.k, Data: resize(s.scores.Data, len(idx)*c.k)}
	for i, j := range idx {
		s.yTrue[i] = int(c.yTrue.at(j))
		row := s.scores.Data[i*c.k : (i+1)*c.k]
		for k, v := range c.scores.row(j) {
			row[k] = float64(v)
		}
		s.yPred[i] = metrics.Argmax(row)
	}
	return s
}

// resize is s with n elements, in its own storage when it has room.
func resize[T any](s []T, n int) []T {
	if s == nil || cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func all(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// report computes the whole report.
func (c *collected) report(m *Model, o Options) (*Report, error) {
	rep := &Report{Model: m.Name, Version: m.Version, Rows: c.seen, Batch: o.Batch, Intervals: map[string]metrics.Interval{}}
	idx := all(c.rows())
	s := c.subset(idx)
	var err error
	if c.regress {
		rep.Task = "regression"
		if rep.Metrics, err = regressionMetrics(s); err != nil {
			return nil, err
		}
	} else {
		rep.Task, rep.Classes, rep.TopK = "classification", c.classNames(), o.TopK
		if err := c.classification(rep, s, o); err != nil {
			return nil, err
		}
	}
	c.everyRow(rep, o)
	c.intervals(rep, o)
	c.slicesOf(rep, o)
	if len(c.groupCols) > 0 {
		if rep.Fairness, err = c.fairness(rep, o); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// everyRow, when only a sample of the rows was kept, puts the overall
// figures of every row in the report and says which come from the sample.
func (c *collected) everyRow(rep *Report, o Options) {
	t := c.sampler.tally
	if t == nil {
		return
	}
	rep.SampledRows = c.rows()
	if c.regress {
		maps.Copy(rep.Metrics, t.regression(c.seen))
	} else {
		t.classification(rep, o)
	}
	rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d rows, more than --exact-rows: ROC and PR curves and AUCs, confidence intervals, slices and fairness are computed on a uniform sample of %d rows (seed %d); the other overall figures on every row", c.seen, c.rows(), o.Seed))
}

func regressionMetrics(s *subset) (map[string]float64, error) {
	r, err := metrics.Regress(s.yv, s.pv, s.w)
	if err != nil {
		return nil, err
	}
	return map[string]float64{"rows": float64(len(s.yv)), "mae": r.MAE, "rmse": r.RMSE, "r2": r.R2, "mape": r.MAPE}, nil
}

// figures are the classification figures of a subset.
type figures struct {
	metrics map[string]float64
	cm      *metrics.Confusion
	ovr     *metrics.OneVsRest // nil when a class has no sample
	cal     *metrics.Calibration
}

// headline computes the classification metrics of a subset; ranking
// metrics that are undefined on it (a class with no sample) are left out.
func headline(s *subset, k, topK, bins int) (*figures, error) {
	cm, err := metrics.ConfusionMatrix(s.yTrue, s.yPred, s.w, k)
	if err != nil {
		return nil, err
	}
	avg := cm.Average()
	f := &figures{cm: cm, metrics: map[string]float64{
		"rows": float64(len(s.yTrue)), "accuracy": cm.Accuracy(), "balanced_accuracy": cm.BalancedAccuracy(),
		"precision_macro": avg.Macro.Precision, "recall_macro": avg.Macro.Recall, "f1_macro": avg.Macro.F1,
		"precision_micro": avg.Micro.Precision, "recall_micro": avg.Micro.Recall, "f1_micro": avg.Micro.F1,
		"precision_weighted": avg.Weighted.Precision, "recall_weighted": avg.Weighted.Recall, "f1_weighted": avg.Weighted.F1,
	}}
	mm := f.metrics
	if topK < k { // with k ≥ the classes, every row is a hit
		if v, err := metrics.TopKAccuracy(s.yTrue, s.scores, s.w, topK); err == nil {
			mm["top_k_accuracy"] = v
		}
	}
	if v, err := metrics.LogLoss(s.yTrue, s.scores, s.w); err == nil {
		mm["log_loss"] = v
	}
	if f.cal, err = metrics.ExpectedCalibration(s.yTrue, s.scores, s.w, bins); err == nil {
		mm["expected_calibration_error"] = f.cal.ECE
	}
	var ovrErr error
	if f.ovr, ovrErr = metrics.OneVsRestAUC(s.yTrue, s.scores, s.w); ovrErr == nil {
		mm["roc_auc"], mm["pr_auc"] = f.ovr.ROCAUCMacro, f.ovr.APMacro
	}
	return f, nil
}

func (c *collected) classification(rep *Report, s *subset, o Options) error {
	f, err := headline(s, c.k, o.TopK, o.Bins)
	if err != nil {
		return err
	}
	rep.Metrics, rep.ConfusionMatrix = f.metrics, f.cm.Counts
	for i, cs := range f.cm.PerClass() {
		rep.PerClass = append(rep.PerClass, ClassReport{Class: rep.Classes[i], ClassScores: cs})
	}
	if f.cal != nil {
		rep.Reliability = f.cal.Bins
	}
	ovr := f.ovr
	if ovr == nil {
		_, err := metrics.OneVsRestAUC(s.yTrue, s.scores, s.w)
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("no roc_auc or pr_auc: %v", err))
		return nil
	}
	rep.ROC, rep.PR = ovr.ROC, ovr.PR
	for i := range ovr.ROCAUC {
		class := i
		if c.k == 2 {
			class = 1
		}
		rep.CurveClasses = append(rep.CurveClasses, rep.Classes[class])
		auc, ap := ovr.ROCAUC[i], ovr.AP[i]
		rep.PerClass[class].ROCAUC, rep.PerClass[class].AveragePrecision = &auc, &ap
	}
	return nil
}

// intervals bootstraps the headline metrics.
func (c *collected) intervals(rep *Report, o Options) {
	if o.Bootstrap < 0 {
		return
	}
	names := []string{"accuracy", "balanced_accuracy", "f1_macro"}
	if c.regress {
		names = []string{"mae", "rmse", "r2"}
	}
	ivs, err := metrics.Bootstrap(c.rows(), o.Bootstrap, o.Level, o.Seed, c.draw())
	if err != nil {
		rep.Warnings = append(rep.Warnings, "no confidence intervals: "+err.Error())
		return
	}
	for i, name := range names {
		rep.Intervals[name] = ivs[i]
	}
}

// draw makes the statistic functions of the bootstrap draws: accuracy,
// balanced accuracy and macro F1 from a confusion matrix of the drawn
// rows (each row's cell is computed once, for all draws), or MAE, RMSE and
// R² for regression.
func (c *collected) draw() func() func(idx []int) ([]float64, error) {
	if c.regress {
		return c.regressionDraw
	}
	cell := make([]int32, c.rows())
	for j, t := range c.yTrue.all() {
		cell[j] = t*int32(c.k) + int32(c.predicted(j))
	}
	return func() func(idx []int) ([]float64, error) {
		counts := make([]float64, c.k*c.k)
		cm := &metrics.Confusion{Counts: make([][]float64, c.k)}
		for i := range cm.Counts {
			cm.Counts[i] = counts[i*c.k : (i+1)*c.k]
		}
		tally := make([]int32, c.k*c.k)
		return func(idx []int) ([]float64, error) {
			if !c.weighted {
				clear(tally)
				for _, j := range idx {
					tally[cell[j]]++
				}
				for i, n := range tally {
					counts[i] = float64(n)
				}
			} else {
				clear(counts)
				for _, j := range idx {
					counts[cell[j]] += c.weights.at(j)
				}
			}
			return []float64{cm.Accuracy(), cm.BalancedAccuracy(), cm.Average().Macro.F1}, nil
		}
	}
}

// regressionDraw makes a statistic function of MAE, RMSE and R².
func (c *collected) regressionDraw() func(idx []int) ([]float64, error) {
	yv, pv := make([]float64, 0, c.rows()), make([]float64, 0, c.rows())
	var ws []float64
	return func(idx []int) ([]float64, error) {
		yv, pv, ws = yv[:0], pv[:0], ws[:0]
		for _, j := range idx {
			yv, pv = append(yv, c.yValue.at(j)), append(pv, float64(c.scores.at(j)))
			if c.weighted {
				ws = append(ws, c.weights.at(j))
			}
		}
		r, err := metrics.Regress(yv, pv, weightsOrNil(ws, c.weighted))
		if err != nil {
			return nil, err
		}
		return []float64{r.MAE, r.RMSE, r.R2}, nil
	}
}

// slicesOf computes the metrics of every value of every slice column.
func (c *collected) slicesOf(rep *Report, o Options) {
	for col, name := range c.sliceCols {
		byValue := map[int32][]int{}
		for j, id := range c.slices[col].all() {
			byValue[id] = append(byValue[id], j)
		}
		sl := Slice{}
		for id, idx := range byValue {
			sl[c.sliceKeys[col].names[id]] = c.metricsOf(idx, o)
		}
		if rep.Slices == nil {
			rep.Slices = map[string]Slice{}
		}
		rep.Slices[name] = sl
	}
}

// metricsOf are the headline metrics of rows idx (NaN-free).
func (c *collected) metricsOf(idx []int, o Options) map[string]float64 {
	s := c.subset(idx)
	var mm map[string]float64
	var err error
	if c.regress {
		mm, err = regressionMetrics(s)
	} else {
		var f *figures
		if f, err = headline(s, c.k, o.TopK, o.Bins); err == nil {
			mm = f.metrics
		}
	}
	if err != nil {
		return map[string]float64{"rows": float64(len(idx))}
	}
	for k, v := range mm {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(mm, k)
		}
	}
	return mm
}

// sortedKeys are a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// predicted is row j's predicted class: its highest score (the first on
// ties).
func (c *collected) predicted(j int) int { return metrics.Argmax(c.scores.row(j)) }

func weightsOrNil(ws []float64, weighted bool) []float64 {
	if !weighted {
		return nil
	}
	return ws
}
